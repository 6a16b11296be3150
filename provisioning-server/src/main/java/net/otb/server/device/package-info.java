/** Services and boxes as the store keeps them: who owns which IP and offer, which box is bound, what each box reported. */
package net.otb.server.device;
