/** The simulator's command line: {@code demo}, {@code fleet}, {@code scenario} and {@code bench}. */
package net.otb.simulator;
