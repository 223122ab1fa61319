// Package wire is the DSP payload format: frames (NetworkID | CompressInfo | Length | Body) with
// the spec's six compression algorithms and MAX_PACKAGE_SIZE, fragmentation of larger messages,
// the spec's Message and ID envelope in msgpack with signatures made by package keys, the spec's
// opcodes and a registry of typed payloads. docs/protocol.md describes every byte.
//
// A stream carries messages one after another: a Writer frames them and a Reader reassembles and
// bounds them, over any io.Writer / io.Reader (the node uses smux streams).
package wire
