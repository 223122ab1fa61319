// Package proxy is the spec's Proxying: a public node with the proxy role (Service) gives nodes
// behind NAT an address (kcp://host:port) and relays every connection peers make to it over the
// node's own connection to the proxy; the node's side (Client) keeps that connection alive with
// Keepalives and turns each relayed connection into an ordinary accepted peer connection of its
// host (Client.Transport). docs/proxy.md describes the design, docs/protocol.md the messages.
package proxy
