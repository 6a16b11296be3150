/** Purchase orders of offer changes, their money in euro cents, and refusals as values for the order system. */
package net.otb.server.order;
