package wire

import (
	"errors"
	"fmt"
	"io"
	"slices"
)

// DevnetID is the network id of the embedded devnet and DefaultConfig.
const DevnetID uint32 = 1

// Config is how a Writer frames and a Reader accepts messages on one stream. Both ends of a stream
// must agree on NetworkID; Algo and Threshold matter only to the writer (a reader decodes every
// algorithm).
type Config struct {
	NetworkID      uint32 // frames from another network are rejected with ErrWrongNetwork
	Algo           Algo   // compression used when writing
	Threshold      int    // compress a fragment only if len >= Threshold, and keep it only if it shrinks
	MaxMessageSize int    // reassembly bound (default DefaultMaxMessageSize)
}

// DefaultConfig returns NetworkID 1 (devnet), AlgoNone, Threshold 1024 and
// DefaultMaxMessageSize.
func DefaultConfig() Config {
	return Config{NetworkID: DevnetID, Algo: AlgoNone, Threshold: 1024, MaxMessageSize: DefaultMaxMessageSize}
}

// Verify reports what is wrong with c, or nil: an unknown Algo, a negative Threshold or a
// negative MaxMessageSize (zero means DefaultMaxMessageSize).
func (c Config) Verify() error {
	if !c.Algo.Valid() {
		return fmt.Errorf("wire config: %w: %v", ErrUnknownCompression, c.Algo)
	}
	if c.Threshold < 0 {
		return fmt.Errorf("wire config: negative Threshold %d", c.Threshold)
	}
	if c.MaxMessageSize < 0 {
		return fmt.Errorf("wire config: negative MaxMessageSize %d", c.MaxMessageSize)
	}
	return nil
}

func (c Config) maxMessage() int {
	if c.MaxMessageSize <= 0 {
		return DefaultMaxMessageSize
	}
	return c.MaxMessageSize
}

// retainLimit is the largest message buffer a Writer or Reader keeps between messages: enough for
// a 256 KiB block with its envelope, so steady block traffic reuses it, while a rare large message
// does not pin its memory for the life of the stream.
const retainLimit = 512 << 10

// Writer writes messages to one stream as frames: a message longer than MaxPackageSize goes out as
// consecutive fragments of MaxPackageSize bytes (the last may be shorter), every one but the last
// flagged More, each compressed on its own. A Writer reuses its buffers, so writing does not
// allocate per frame. It is not safe for concurrent use; use one per stream. After a write error
// the stream may hold part of a message, so every later call returns that error.
type Writer struct {
	w     io.Writer
	c     Config
	frame []byte // header + body of the frame being written
	enc   []byte // the encoding of the message being written
	err   error
}

// NewWriter returns a Writer on w with config c. c should have passed Verify; an invalid Algo
// makes every write fail with ErrUnknownCompression.
func NewWriter(w io.Writer, c Config) *Writer {
	return &Writer{w: w, c: c}
}

// WriteMessage encodes m (see Message.Marshal) and writes it with WritePayload. It does not sign
// m; sign it first if the peer expects a signature.
func (w *Writer) WriteMessage(m *Message) error {
	if w.err != nil {
		return w.err
	}
	w.enc = m.appendEncoding(w.enc[:0], m.Signature)
	err := w.WritePayload(w.enc)
	if cap(w.enc) > retainLimit {
		w.enc = nil // do not pin a rare large buffer
	}
	return err
}

// WritePayload writes p, already encoded, as one message of one or more frames. p over the
// config's MaxMessageSize is ErrOversized and nothing is written. An empty p is one frame with
// Length 0.
func (w *Writer) WritePayload(p []byte) error {
	if w.err != nil {
		return w.err
	}
	if max := w.c.maxMessage(); len(p) > max {
		return fmt.Errorf("write message: %w: %d bytes exceeds the message bound of %d", ErrOversized, len(p), max)
	}
	if !w.c.Algo.Valid() {
		return fmt.Errorf("write message: %w: %v", ErrUnknownCompression, w.c.Algo)
	}
	for first := true; first || len(p) > 0; first = false {
		n := min(len(p), MaxPackageSize)
		if err := w.writeFragment(p[:n], n < len(p)); err != nil {
			w.err = fmt.Errorf("write frame: %w", err)
			return w.err
		}
		p = p[n:]
	}
	return nil
}

func (w *Writer) writeFragment(body []byte, more bool) error {
	if w.frame == nil {
		w.frame = make([]byte, 0, HeaderSize+MaxPackageSize+1024)
	}
	f := Frame{NetworkID: w.c.NetworkID, More: more}
	buf := w.frame[:HeaderSize]
	if w.c.Algo != AlgoNone && len(body) >= w.c.Threshold && len(body) > 0 {
		out, err := Compress(w.c.Algo, buf, body)
		if err != nil {
			return err
		}
		if len(out)-HeaderSize < len(body) {
			f.Compressed, f.Algo, buf = true, w.c.Algo, out
		}
		if cap(out) > cap(w.frame) {
			w.frame = out[:0]
		}
	}
	if !f.Compressed {
		buf = append(buf[:HeaderSize], body...)
	}
	appendHeader(buf[:0], f.NetworkID, f.CompressInfo(), len(buf)-HeaderSize)
	_, err := w.w.Write(buf)
	return err
}

// Reader reads messages written by a Writer (or any compatible peer) from one stream: it reads
// frames, checks each one's network id and bounds, decompresses and reassembles fragments up to
// the config's MaxMessageSize. It reuses its buffers across frames and messages. It is not safe
// for concurrent use; use one per stream.
//
// A frame that is well formed but unwanted (ErrWrongNetwork, ErrUnknownCompression for a bad
// algorithm code, ErrOversized or ErrMalformed for its decompressed body, ErrOversized for a
// message over the bound) is consumed and its message discarded: the stream stays in step and the
// next call reads the next message (fragments that remain of a discarded message are skipped).
// After an error that leaves the stream out of step (ErrTruncated, a Length over MaxPackageSize,
// reserved flag bits, an I/O error) every later call returns the same error.
type Reader struct {
	r     io.Reader
	c     Config
	body  []byte // the current frame's body as carried
	msg   []byte // the message being reassembled
	skip  bool   // discard fragments until the end of the current message
	err   error  // sticky error
	Stats ReaderStats
}

// ReaderStats counts what a Reader has read, for metrics.
type ReaderStats struct {
	Frames     uint64 // frames read, including discarded ones
	Messages   uint64 // messages returned
	Compressed uint64 // frames that were compressed
	Discarded  uint64 // messages discarded with an error while the stream stayed in step
}

// NewReader returns a Reader on r with config c.
func NewReader(r io.Reader, c Config) *Reader {
	return &Reader{r: r, c: c}
}

// ReadPayload returns the next message's bytes, reassembled from its fragments. The slice is the
// caller's: the Reader keeps no reference to it. At a clean end of stream (no byte of a new frame)
// it returns io.EOF; a stream that ends between the fragments of a message is ErrTruncated.
func (r *Reader) ReadPayload() ([]byte, error) {
	msg, err := r.next()
	if err != nil {
		return nil, err
	}
	out := append(make([]byte, 0, len(msg)), msg...)
	if cap(r.msg) > retainLimit {
		r.msg = nil // do not pin a rare large buffer
	}
	return out, nil
}

// ReadMessage reads the next message and decodes it (see Unmarshal). It does not verify the
// signature or the sender's id: call Message.Verify. A payload that is not a Message is
// ErrMalformed and the stream stays in step.
func (r *Reader) ReadMessage() (*Message, error) {
	p, err := r.ReadPayload()
	if err != nil {
		return nil, err
	}
	m, err := unmarshalOwned(p)
	if err != nil {
		r.Stats.Discarded++
		return nil, err
	}
	return m, nil
}

// next reassembles the next message into r.msg and returns it; the slice is valid until the next
// call.
func (r *Reader) next() ([]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.body == nil {
		r.body = make([]byte, MaxPackageSize)
	}
	max := r.c.maxMessage()
	r.msg = r.msg[:0]
	frames := 0 // frames of this message read so far
	for {
		f, err := ReadFrameBuf(r.r, r.body)
		if err != nil {
			if err == io.EOF && (frames > 0 || r.skip) {
				err = fmt.Errorf("%w: stream ended inside a message, after %d of its frames", ErrTruncated, frames)
			}
			if err != io.EOF {
				r.err = err
			}
			return nil, err
		}
		r.Stats.Frames++
		if f.Compressed {
			r.Stats.Compressed++
		}
		if r.skip {
			r.skip = f.More
			continue
		}
		frames++
		if err := r.add(f, max); err != nil {
			r.skip = f.More
			r.msg = r.msg[:0]
			r.Stats.Discarded++
			if cap(r.msg) > retainLimit {
				r.msg = nil
			}
			return nil, err
		}
		if !f.More {
			r.Stats.Messages++
			return r.msg, nil
		}
	}
}

// add checks frame f and appends its decompressed body to r.msg.
func (r *Reader) add(f Frame, max int) error {
	if f.NetworkID != r.c.NetworkID {
		return fmt.Errorf("%w: frame for network %d, this stream is network %d", ErrWrongNetwork, f.NetworkID, r.c.NetworkID)
	}
	limit := min(MaxPackageSize, max-len(r.msg))
	if limit < 0 {
		limit = 0
	}
	r.msg = slices.Grow(r.msg, limit)
	out, err := f.decompress(r.msg, limit)
	if err != nil {
		if errors.Is(err, ErrOversized) && limit < MaxPackageSize {
			return fmt.Errorf("%w: message exceeds the bound of %d bytes", ErrOversized, max)
		}
		return fmt.Errorf("frame %d of message: %w", r.Stats.Frames, err)
	}
	r.msg = out
	return nil
}
