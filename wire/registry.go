package wire

import (
	"bytes"
	"fmt"
	"reflect"
	"sync"

	"github.com/vmihailenco/msgpack/v5"
)

// entry is one registered payload type.
type entry struct {
	name       string
	newPayload func() any
	typ        reflect.Type
}

var registry struct {
	sync.RWMutex
	byOp   map[Opcode]entry
	byType map[reflect.Type]Opcode // types registered for more than one opcode map to OpUnregistered
}

// Register binds op to a payload type: newPayload returns a fresh pointer to the type (for
// example func() any { return new(UploadRequest) }) and name is what Opcode.String and logs show.
// Services call it from init. It panics if op is below OpApplicationStart (the spec's opcodes are
// registered by this package), if op is already registered, or if newPayload returns nil.
// It is safe for concurrent use.
func Register(op Opcode, name string, newPayload func() any) {
	if op < OpApplicationStart {
		panic(fmt.Sprintf("wire: Register(%d, %q): opcodes below %d are the spec's", op, name, OpApplicationStart))
	}
	register(op, name, newPayload)
}

func register(op Opcode, name string, newPayload func() any) {
	v := newPayload()
	if v == nil {
		panic(fmt.Sprintf("wire: Register(%d, %q): newPayload returned nil", op, name))
	}
	t := reflect.TypeOf(v)
	registry.Lock()
	defer registry.Unlock()
	if registry.byOp == nil {
		registry.byOp = map[Opcode]entry{}
		registry.byType = map[reflect.Type]Opcode{}
	}
	if e, dup := registry.byOp[op]; dup {
		panic(fmt.Sprintf("wire: Register(%d, %q): opcode already registered as %q", op, name, e.name))
	}
	registry.byOp[op] = entry{name: name, newPayload: newPayload, typ: t}
	if _, dup := registry.byType[t]; dup {
		registry.byType[t] = OpUnregistered
	} else {
		registry.byType[t] = op
	}
}

// Lookup returns the name registered for op.
func Lookup(op Opcode) (name string, ok bool) {
	registry.RLock()
	defer registry.RUnlock()
	e, ok := registry.byOp[op]
	return e.name, ok
}

// OpcodeOf returns the opcode whose payload type is v's type (v may be the type or a pointer to
// it). It returns false if the type is not registered or is registered for several opcodes.
func OpcodeOf(v any) (Opcode, bool) {
	t := reflect.TypeOf(v)
	if t == nil {
		return OpUnregistered, false
	}
	registry.RLock()
	defer registry.RUnlock()
	op, ok := registry.byType[t]
	if !ok && t.Kind() != reflect.Pointer {
		op, ok = registry.byType[reflect.PointerTo(t)]
	}
	return op, ok && op != OpUnregistered
}

// EncodePayload returns the msgpack encoding of v, the payload of a Message. Structs (at every
// depth) are encoded as arrays of their exported fields in declaration order, integers in their
// shortest form and map keys sorted, so equal values encode to equal bytes. A Bytes value (or
// *Bytes) is returned as is: OpBytes payloads are not msgpack.
func EncodePayload(v any) ([]byte, error) {
	switch b := v.(type) {
	case Bytes:
		return bytes.Clone(b), nil
	case *Bytes:
		return bytes.Clone(*b), nil
	}
	var buf bytes.Buffer
	enc := msgpack.GetEncoder()
	defer msgpack.PutEncoder(enc)
	enc.Reset(&buf)
	enc.UseArrayEncodedStructs(true)
	enc.UseCompactInts(true)
	enc.SetSortMapKeys(true)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode payload %T: %w", v, err)
	}
	return buf.Bytes(), nil
}

// DecodePayload decodes b as the payload registered for op and returns what that opcode's
// newPayload returned, filled in (for example *Ping). An unregistered op is ErrUnknownOpcode; bytes
// that are not exactly one msgpack value of the type are ErrMalformed. Containers whose declared
// length exceeds the bytes left are rejected before anything is allocated for them.
func DecodePayload(op Opcode, b []byte) (any, error) {
	registry.RLock()
	e, ok := registry.byOp[op]
	registry.RUnlock()
	if !ok {
		return nil, fmt.Errorf("decode payload: %w: %d", ErrUnknownOpcode, uint32(op))
	}
	v := e.newPayload()
	if p, ok := v.(*Bytes); ok {
		*p = bytes.Clone(b)
		return p, nil
	}
	if err := decodeInto(e.name, b, v); err != nil {
		return nil, err
	}
	return v, nil
}

// DecodePayloadInto is DecodePayload decoding into v, which must be a pointer of the type
// registered for op (ErrUnknownOpcode otherwise). What v already holds is reused: a byte slice
// field with room gets the bytes in its own storage, so a caller can decode into buffers it
// keeps. The same checks apply; on an error v may be partly filled.
func DecodePayloadInto(op Opcode, b []byte, v any) error {
	registry.RLock()
	e, ok := registry.byOp[op]
	registry.RUnlock()
	if !ok || e.typ != reflect.TypeOf(v) {
		return fmt.Errorf("decode payload: %w: %d into %T", ErrUnknownOpcode, uint32(op), v)
	}
	if p, ok := v.(*Bytes); ok {
		*p = append((*p)[:0], b...)
		return nil
	}
	return decodeInto(e.name, b, v)
}

func decodeInto(name string, b []byte, v any) error {
	if err := CheckMsgpack(b); err != nil {
		return fmt.Errorf("decode %s payload: %w", name, err)
	}
	r := bytes.NewReader(b)
	dec := msgpack.GetDecoder()
	defer msgpack.PutDecoder(dec)
	dec.Reset(r)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode %s payload: %w: %v", name, ErrMalformed, err)
	}
	if r.Len() != 0 {
		return fmt.Errorf("decode %s payload: %w: %d bytes after the value", name, ErrMalformed, r.Len())
	}
	return nil
}

// CheckMsgpack walks b, which must be exactly one msgpack value, and fails with ErrMalformed if
// any length runs past the end or any container declares more elements than bytes remain (each
// element takes at least one byte), so the decoder never preallocates for elements that are not
// there. Nesting deeper than 64 is rejected too. Decoders of untrusted msgpack (payloads here,
// ledger records) run it before decoding.
func CheckMsgpack(b []byte) error {
	r := &mpReader{b: b}
	if err := r.skip(0); err != nil {
		return err
	}
	if r.off != len(b) {
		return fmt.Errorf("%w: %d bytes after the value", ErrMalformed, len(b)-r.off)
	}
	return nil
}

const maxDepth = 64

// skip moves past one value.
func (r *mpReader) skip(depth int) error {
	if depth > maxDepth {
		return r.errf("payload", "nested deeper than %d", maxDepth)
	}
	c, err := r.code("payload")
	if err != nil {
		return err
	}
	var n, elems int // n bytes of data follow, or elems values
	switch {
	case c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3:
	case c&0xe0 == 0xa0:
		n = int(c & 0x1f)
	case c&0xf0 == 0x90:
		elems = int(c & 0x0f)
	case c&0xf0 == 0x80:
		elems = 2 * int(c&0x0f)
	case c == 0xc4 || c == 0xd9:
		n, err = r.size("payload", 1)
	case c == 0xc5 || c == 0xda:
		n, err = r.size("payload", 2)
	case c == 0xc6 || c == 0xdb:
		n, err = r.size("payload", 4)
	case c == 0xcc || c == 0xd0:
		n = 1
	case c == 0xcd || c == 0xd1:
		n = 2
	case c == 0xca || c == 0xce || c == 0xd2:
		n = 4
	case c == 0xcb || c == 0xcf || c == 0xd3:
		n = 8
	case c == 0xd4, c == 0xd5, c == 0xd6, c == 0xd7, c == 0xd8: // fixext 1, 2, 4, 8, 16
		n = 1 + 1<<(c-0xd4)
	case c == 0xc7, c == 0xc8, c == 0xc9: // ext 8, 16, 32
		n, err = r.size("payload", 1<<(c-0xc7))
		n++
	case c == 0xdc:
		elems, err = r.size("payload", 2)
	case c == 0xdd:
		elems, err = r.size("payload", 4)
	case c == 0xde:
		elems, err = r.size("payload", 2)
		elems *= 2
	case c == 0xdf:
		elems, err = r.size("payload", 4)
		elems *= 2
	default: // 0xc1 is never used
		return r.errf("payload", "type 0x%02x is not msgpack", c)
	}
	if err != nil {
		return err
	}
	if err := r.need("payload", n); err != nil {
		return err
	}
	r.off += n
	if elems > len(r.b)-r.off {
		return r.errf("payload", "container of %d elements with %d bytes left", elems, len(r.b)-r.off)
	}
	for range elems {
		if err := r.skip(depth + 1); err != nil {
			return err
		}
	}
	return nil
}
