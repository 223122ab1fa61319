// Package dns is the DNS role: a resolver node in front of the ledger. It answers dsp:// URL and
// header queries from the ledger's DNS state (read through ledger.Ledger, embedded or remote) and,
// when the node also runs scan, adds the holders its SCAN tracker knows for the URL's file.
// Registering, transferring and deleting names are ledger transactions, not DNS requests.
// Handler answers request payloads, Client asks a DNS node through a RoundTripper, and Service
// mounts the role on a node.Host. docs/sharing.md describes the role.
package dns

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"dsp/keys"
	"dsp/ledger"
	"dsp/node"
	"dsp/node/scan"
	"dsp/status"
	"dsp/wire"
)

// DNS opcodes (wire range 1300-1399). Each request opcode is even and its reply is the next odd
// number; OpError answers any request that failed. docs/protocol.md ("DNS messages") lists them.
const (
	OpResolveRequest = wire.OpDNSStart + 0
	OpResolveReply   = wire.OpDNSStart + 1
	OpHeaderRequest  = wire.OpDNSStart + 2
	OpHeaderReply    = wire.OpDNSStart + 3
	OpError          = wire.OpDNSStart + 99
)

// Range is the opcode range a DNS service registers for.
var Range = wire.OpRange{Name: "dns", First: wire.OpDNSStart, Last: wire.OpDNSStart + 99}

// MaxURLLen bounds the URL of a ResolveRequest and the name of a HeaderRequest.
const MaxURLLen = 512

// Sentinel errors of this package; match them with errors.Is.
var (
	// ErrNoDNS: the client has no DNS node to ask. Code NO_DNS 40009.
	ErrNoDNS = errors.New("no DNS node connected")
	// ErrMalformed: an empty or oversized URL or header name. Code INVALID_PARAMS 40002.
	ErrMalformed = errors.New("malformed dns request")
	// ErrUnexpectedReply: the DNS node answered with another payload type than the request's
	// reply. Code INTERNAL_ERROR 40001.
	ErrUnexpectedReply = errors.New("unexpected dns reply")
)

// ResolveRequest asks for the record of URL ("dsp://name", "header://name", or "name" under the
// default header) and up to MaxHolders holders of its file (0: the SCAN default).
type ResolveRequest struct {
	URL        string
	MaxHolders uint32
}

// ResolveReply is a live URL's record as the ledger holds it at Height. FileHash is the file the
// record links to (its Link is ledger.FileLink(FileHash)), empty for a link to anything else.
// Holders are the holders of FileHash the node's SCAN tracker knows, empty if the node runs no
// scan role.
type ResolveReply struct {
	Record   ledger.URLRecord
	FileHash []byte
	Height   uint64
	Holders  []scan.Holder
}

// HeaderRequest asks for the live DNS header Name.
type HeaderRequest struct {
	Name string
}

// HeaderReply is a live header as the ledger holds it at Height.
type HeaderReply struct {
	Header ledger.Header
	Height uint64
}

// ErrorReply answers a request that failed with the spec's status code and name.
type ErrorReply struct {
	Code int
	Name string
	Msg  string
}

type opPair struct {
	op   wire.Opcode
	name string
	mk   func() any
}

var messageTypes = []opPair{
	{OpResolveRequest, "DNSResolveRequest", func() any { return new(ResolveRequest) }},
	{OpResolveReply, "DNSResolveReply", func() any { return new(ResolveReply) }},
	{OpHeaderRequest, "DNSHeaderRequest", func() any { return new(HeaderRequest) }},
	{OpHeaderReply, "DNSHeaderReply", func() any { return new(HeaderReply) }},
	{OpError, "DNSError", func() any { return new(ErrorReply) }},
}

func init() {
	for _, m := range messageTypes {
		wire.Register(m.op, m.name, m.mk)
	}
}

// FileHashOf returns the file hash a link made by ledger.FileLink names, or nil for any other link.
func FileHashOf(link string) []byte {
	rest, ok := strings.CutPrefix(link, "file:")
	if !ok {
		return nil
	}
	h, err := hex.DecodeString(rest)
	if err != nil || len(h) == 0 {
		return nil
	}
	return h
}

// Handler answers DNS requests from a ledger and, optionally, a SCAN tracker. It is safe for
// concurrent use.
type Handler struct {
	l ledger.Ledger
	t *scan.Tracker
}

// NewHandler returns a Handler reading names from l and holders from t (nil: no holders).
func NewHandler(l ledger.Ledger, t *scan.Tracker) *Handler { return &Handler{l: l, t: t} }

// Handle answers one decoded request payload with a reply payload: the request's reply type or
// *ErrorReply. It never returns nil.
func (h *Handler) Handle(ctx context.Context, req any) any {
	reply, err := h.handle(ctx, req)
	if err != nil {
		r := &ErrorReply{Code: status.CodeOf(err, status.InternalError.Num()), Name: status.NameOf(err), Msg: err.Error()}
		if r.Name == "" {
			r.Name = status.InternalError.Name()
		}
		return r
	}
	return reply
}

// HandleBytes decodes a request payload of opcode op, answers it and encodes the reply.
func (h *Handler) HandleBytes(ctx context.Context, op wire.Opcode, payload []byte) (wire.Opcode, []byte, error) {
	var reply any
	req, err := wire.DecodePayload(op, payload)
	if err != nil {
		reply = h.Handle(ctx, status.Wrap(status.InvalidParams, fmt.Errorf("%w: %v", ErrMalformed, err), "dns request %d", op))
	} else {
		reply = h.Handle(ctx, req)
	}
	rop, ok := wire.OpcodeOf(reply)
	if !ok {
		return 0, nil, fmt.Errorf("dns: reply %T has no opcode", reply)
	}
	b, err := wire.EncodePayload(reply)
	return rop, b, err
}

func checkName(what, s string) error {
	if s == "" || len(s) > MaxURLLen {
		return status.Wrap(status.InvalidParams, ErrMalformed, "%s of %d bytes, want 1-%d", what, len(s), MaxURLLen)
	}
	return nil
}

func (h *Handler) handle(ctx context.Context, req any) (any, error) {
	switch r := req.(type) {
	case error:
		return nil, r
	case *ResolveRequest:
		if err := checkName("url", r.URL); err != nil {
			return nil, err
		}
		height, err := h.l.Height(ctx)
		if err != nil {
			return nil, err
		}
		rec, err := h.l.Resolve(ctx, r.URL)
		if err != nil {
			return nil, err
		}
		rep := &ResolveReply{Record: *rec, FileHash: FileHashOf(rec.Link), Height: height}
		if h.t != nil && rep.FileHash != nil && len(rep.FileHash) <= scan.MaxHashLen {
			hs, err := h.t.Holders(rep.FileHash, int(min(r.MaxHolders, scan.MaxPeers)))
			if err != nil {
				return nil, err
			}
			rep.Holders = hs
		}
		return rep, nil
	case *HeaderRequest:
		if err := checkName("header", r.Name); err != nil {
			return nil, err
		}
		height, err := h.l.Height(ctx)
		if err != nil {
			return nil, err
		}
		hd, err := h.l.Header(ctx, r.Name)
		if err != nil {
			return nil, err
		}
		return &HeaderReply{Header: *hd, Height: height}, nil
	}
	return nil, status.Wrap(status.InvalidParams, ErrMalformed, "not a dns request: %T", req)
}

// RoundTripper sends one request payload under its opcode to a DNS node and returns the decoded
// reply payload. It must be safe for concurrent use and honor ctx.
type RoundTripper interface {
	RoundTrip(ctx context.Context, op wire.Opcode, req any) (reply any, err error)
}

// HostRoundTripper returns a RoundTripper sending requests from h to the connected peer with
// account peer.
func HostRoundTripper(h *node.Host, peer keys.Address) RoundTripper {
	return node.PeerRoundTripper{Host: h, Peer: peer}
}

// Client asks a DNS node. A Client made with a nil RoundTripper has no DNS node: every call fails
// with NO_DNS 40009 (ErrNoDNS). Errors carry the DNS node's status code: DSP_GET_FILE_LINK_FAILED
// 55016 for a URL or header that is unknown, expired, or under a deleted or expired header.
type Client struct{ rt RoundTripper }

// NewClient returns a Client whose every call is one round trip through rt.
func NewClient(rt RoundTripper) *Client { return &Client{rt: rt} }

func call[T any](ctx context.Context, c *Client, op wire.Opcode, req any) (*T, error) {
	if c == nil || c.rt == nil {
		return nil, status.Wrap(status.NoDns, ErrNoDNS, "dns request %s", op)
	}
	reply, err := c.rt.RoundTrip(ctx, op, req)
	if err != nil {
		if status.CodeOf(err, 0) != 0 {
			return nil, err
		}
		return nil, status.Wrap(status.NoDns, fmt.Errorf("%w: %v", ErrNoDNS, err), "dns request %s", op)
	}
	switch v := reply.(type) {
	case *T:
		return v, nil
	case *ErrorReply:
		return nil, &status.Error{Code: v.Code, Name: v.Name, Msg: v.Msg}
	}
	return nil, status.Wrap(status.InternalError, ErrUnexpectedReply, "dns request %s: reply %T", op, reply)
}

// Resolve returns the live record of url with up to maxHolders holders of its file (0: the SCAN
// default).
func (c *Client) Resolve(ctx context.Context, url string, maxHolders int) (*ResolveReply, error) {
	return call[ResolveReply](ctx, c, OpResolveRequest, &ResolveRequest{URL: url, MaxHolders: uint32(max(maxHolders, 0))})
}

// Header returns the live header name.
func (c *Client) Header(ctx context.Context, name string) (*HeaderReply, error) {
	return call[HeaderReply](ctx, c, OpHeaderRequest, &HeaderRequest{Name: name})
}

// ServiceConfig configures a Service. Ledger is required.
type ServiceConfig struct {
	// Ledger is read for names (embedded, or ledger.NewRemote over a ledger node).
	Ledger ledger.Ledger
	// Tracker, if the node also runs scan, supplies the holders of resolved files.
	Tracker *scan.Tracker
	// Timeout bounds the answer to one request (default 10 s).
	Timeout time.Duration
}

// Service is the dns role on a node: a node.Component answering the DNS range.
type Service struct {
	node.BaseComponent
	h       *Handler
	timeout time.Duration
}

var _ node.Component = (*Service)(nil)

// NewService returns a service over cfg; mount it with Mount before the host starts.
func NewService(cfg ServiceConfig) (*Service, error) {
	if cfg.Ledger == nil {
		return nil, fmt.Errorf("dns service: no ledger")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	return &Service{h: NewHandler(cfg.Ledger, cfg.Tracker), timeout: cfg.Timeout}, nil
}

// Mount registers the service with h for the DNS opcode range.
func (s *Service) Mount(h *node.Host) error { return h.Register(s, Range) }

// Receive implements node.Component: it answers a DNS request. Other messages are ignored.
func (s *Service) Receive(in *node.Incoming) error {
	if !in.IsRequest() {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	reply := s.h.Handle(ctx, in.Payload)
	op, ok := wire.OpcodeOf(reply)
	if !ok {
		return fmt.Errorf("dns: reply %T has no opcode", reply)
	}
	return in.Reply(ctx, op, reply)
}
