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
	// FragmentSize is the most bytes of a message a Writer puts in one frame, 1..MaxPackageSize;
	// zero means MaxPackageSize. It matters only to the writer: a reader accepts fragments of any
	// size up to MaxPackageSize. A stream carried inside another framed stream sets it so that one
	// of its frames fits one message of the carrier.
	FragmentSize int
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
	if c.FragmentSize < 0 || c.FragmentSize > MaxPackageSize {
		return fmt.Errorf("wire config: FragmentSize %d outside 0..%d", c.FragmentSize, MaxPackageSize)
	}
	return nil
}

func (c Config) fragment() int {
	if c.FragmentSize <= 0 || c.FragmentSize > MaxPackageSize {
		return MaxPackageSize
	}
	return c.FragmentSize
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
	if w.c.Algo == AlgoNone && m.encodedSize() <= min(w.c.fragment(), w.c.maxMessage()) {
		// One uncompressed frame: encode the message in place after the header, one copy.
		if w.frame == nil {
			w.frame = make([]byte, 0, HeaderSize+MaxPackageSize+1024)
		}
		buf := m.appendEncoding(w.frame[:HeaderSize], m.Signature)
		appendHeader(buf[:0], w.c.NetworkID, Frame{}.CompressInfo(), len(buf)-HeaderSize)
		if _, err := w.w.Write(buf); err != nil {
			w.err = fmt.Errorf("write frame: %w", err)
			return w.err
		}
		return nil
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
	frag := w.c.fragment()
	for first := true; first || len(p) > 0; first = false {
		n := min(len(p), frag)
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
	msg, err := r.next(true)
	if err != nil {
		return nil, err
	}
	out := append(make([]byte, 0, len(msg)), msg...)
	if cap(r.msg) > retainLimit {
		r.msg = nil // do not pin a rare large buffer
	}
	return out, nil
}

// ReadPayloadInto is ReadPayload reading the message into buf: the message is assembled in
// buf's storage (its length is ignored), grown when it is too small, and returned; uncompressed
// frames are read straight into it. The Reader keeps no reference to buf, so a caller that passes
// the returned slice back in reads messages without allocating or copying them again. On an
// error it returns buf[:0].
func (r *Reader) ReadPayloadInto(buf []byte) ([]byte, error) {
	saved := r.msg
	r.msg = buf[:0]
	msg, err := r.next(false)
	r.msg = saved
	if err != nil {
		return buf[:0], err
	}
	return msg, nil
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

// ReadMessageView is ReadMessage without the copy: the message's byte fields (Message, the
// sender's fields, MessageID) alias the Reader's buffers and are valid only until the next call
// on the Reader. A caller that keeps any of them must copy it.
func (r *Reader) ReadMessageView() (*Message, error) {
	p, err := r.next(true)
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

// next reassembles the next message and returns it, valid until the next call. Uncompressed
// bodies are read straight into r.msg; with view, a message of one uncompressed frame is returned
// in place in r.body, not copied at all.
func (r *Reader) next(view bool) ([]byte, error) {
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
		f, length, err := r.header()
		if err == nil {
			r.Stats.Frames++
			if f.Compressed {
				r.Stats.Compressed++
			}
			direct := !r.skip && !f.Compressed && f.NetworkID == r.c.NetworkID && len(r.msg)+length <= max &&
				!(view && frames == 0 && !f.More)
			if direct {
				// An uncompressed fragment of this stream's network within the bound: read it
				// in place at the end of the message.
				r.msg = slices.Grow(r.msg, length)
				f.Body = r.msg[len(r.msg) : len(r.msg)+length]
				if err = r.readBody(f.Body); err == nil {
					r.msg = r.msg[:len(r.msg)+length]
					frames++
					if !f.More {
						r.Stats.Messages++
						return r.msg, nil
					}
					continue
				}
			} else {
				f.Body = r.body[:length]
				err = r.readBody(f.Body)
			}
		}
		if err != nil {
			if err == io.EOF && (frames > 0 || r.skip) {
				err = fmt.Errorf("%w: stream ended inside a message, after %d of its frames", ErrTruncated, frames)
			}
			if err != io.EOF {
				r.err = err
			}
			return nil, err
		}
		if r.skip {
			r.skip = f.More
			continue
		}
		if view && frames == 0 && !f.More && !f.Compressed && f.NetworkID == r.c.NetworkID && length <= max {
			r.Stats.Messages++
			return f.Body, nil
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

// header reads and checks the next frame header (see ReadFrameBuf) and returns the frame without
// its body and the body's length.
func (r *Reader) header() (Frame, int, error) {
	hdr := r.body[:HeaderSize]
	if n, err := io.ReadFull(r.r, hdr); err != nil {
		if err == io.EOF {
			return Frame{}, 0, io.EOF
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return Frame{}, 0, fmt.Errorf("%w: frame header: stream ended after %d of %d bytes", ErrTruncated, n, HeaderSize)
		}
		return Frame{}, 0, fmt.Errorf("read frame header: %w", err)
	}
	return parseHeader([HeaderSize]byte(hdr))
}

// readBody reads a frame body of len(b) bytes into b.
func (r *Reader) readBody(b []byte) error {
	if n, err := io.ReadFull(r.r, b); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%w: frame body: stream ended after %d of %d bytes", ErrTruncated, n, len(b))
		}
		return fmt.Errorf("read frame body: %w", err)
	}
	return nil
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
