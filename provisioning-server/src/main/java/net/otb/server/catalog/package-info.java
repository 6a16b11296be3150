/** The catalog: offers with bandwidth, prices and contracts, the orderable hardware, and the box models' capacities, read from a JSON file. */
package net.otb.server.catalog;
