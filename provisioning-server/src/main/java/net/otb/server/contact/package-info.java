/** Delivery addresses for a box: the account's default contact, previously entered ones and new ones, validated per field. */
package net.otb.server.contact;
