/** Counters, gauges and histograms of the server, written in the Prometheus text format. */
package net.otb.server.metrics;
