/** The prorata refund of the current month, computed in exact integer arithmetic and recorded with its inputs. */
package net.otb.server.refund;
