/** The Linux {@code tc} backend: HTB on the shaped interface for upload, an IFB device for download, driven through {@code tc} and {@code ip}. */
package net.otb.agent.linux;
