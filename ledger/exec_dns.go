package ledger

import (
	"strings"

	"github.com/mr-tron/base58"

	"dsp/status"
)

const (
	maxHeaderLen = 16
	maxURLLen    = 128
	maxLinkLen   = 512
)

// ValidHeader reports whether h can be a DNS header name on the ledger: a lowercase letter
// followed by up to 15 of a-z, 0-9 and '-'. RegisterHeader refuses any other.
func ValidHeader(h string) bool {
	if len(h) == 0 || len(h) > maxHeaderLen || h[0] < 'a' || h[0] > 'z' {
		return false
	}
	for _, c := range h {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// ValidURLPath reports whether u can be the part of a URL after "header://" on the ledger: 1 to
// 128 of A-Z, a-z, 0-9 and "._~/-". RegisterURL refuses any other.
func ValidURLPath(u string) bool {
	if len(u) == 0 || len(u) > maxURLLen {
		return false
	}
	for _, c := range u {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._~/-", c)) {
			return false
		}
	}
	return true
}

// SplitURL splits "header://url" into its parts; a string without "://" is a URL under
// defaultHeader.
func SplitURL(full, defaultHeader string) (header, url string) {
	if i := strings.Index(full, "://"); i >= 0 {
		return full[:i], full[i+3:]
	}
	return defaultHeader, full
}

func (e *env) header(name string) (*Header, bool) {
	v := e.kv.get(sHeaders, []byte(name))
	if v == nil {
		return nil, false
	}
	var h Header
	mustDecode(v, &h)
	return &h, true
}

func (e *env) urlRecord(full string) (*URLRecord, bool) {
	v := e.kv.get(sURLs, []byte(full))
	if v == nil {
		return nil, false
	}
	var u URLRecord
	mustDecode(v, &u)
	return &u, true
}

// liveURL says whether u resolves at height h: its header is the default one, or registered,
// unexpired and not re-registered since u was made; and u itself is unexpired.
func liveURL(u *URLRecord, hdr *Header, hasHdr bool, p *Params, h uint64) error {
	if u.ExpireHeight != 0 && h > u.ExpireHeight {
		return status.Wrap(status.DspGetFileLinkFailed, ErrExpired, "%s expired at %d", u.Full(), u.ExpireHeight)
	}
	if u.Header == p.DefaultHeader {
		return nil
	}
	switch {
	case !hasHdr:
		return status.Wrap(status.DspGetFileLinkFailed, ErrNotFound, "header %q of %s is not registered", u.Header, u.Full())
	case h > hdr.ExpireHeight:
		return status.Wrap(status.DspGetFileLinkFailed, ErrExpired, "header %q expired at %d", u.Header, hdr.ExpireHeight)
	case u.BlockHeight < hdr.BlockHeight:
		return status.Wrap(status.DspGetFileLinkFailed, ErrNotFound, "%s predates the header's registration at %d", u.Full(), hdr.BlockHeight)
	}
	return nil
}

func regFailed(sentinel error, f string, a ...any) error {
	return status.Wrap(status.DspUrlRegisterFailed, sentinel, f, a...)
}

func (e *env) registerHeader(p *RegisterHeader) error {
	switch {
	case !ValidHeader(p.Name):
		return regFailed(ErrMalformed, "header %q: want 1-%d of a-z 0-9 -, starting with a letter", p.Name, maxHeaderLen)
	case e.params.reserved(p.Name) || p.Name == e.params.DefaultHeader:
		return regFailed(ErrReserved, "header %q is reserved", p.Name)
	case p.TTL == 0 || p.TTL > e.params.MaxHeaderTTL:
		return regFailed(ErrMalformed, "header TTL %d, want 1-%d", p.TTL, e.params.MaxHeaderTTL)
	case len(p.Desc) > maxDescLen:
		return regFailed(ErrMalformed, "description is %d bytes", len(p.Desc))
	}
	if h, ok := e.header(p.Name); ok && e.height <= h.ExpireHeight {
		return regFailed(ErrExists, "header %q is registered until %d", p.Name, h.ExpireHeight)
	}
	h := &Header{Name: p.Name, Owner: e.sender, Desc: p.Desc, BlockHeight: e.height, ExpireHeight: e.height + p.TTL}
	e.kv.put(sHeaders, []byte(p.Name), encode(h))
	return nil
}

func (e *env) renewHeader(p *RenewHeader) error {
	h, ok := e.header(p.Name)
	if !ok || e.height > h.ExpireHeight {
		return status.Wrap(status.DspUrlBindFailed, ErrNotFound, "header %q is not registered", p.Name)
	}
	if h.Owner != e.sender {
		return status.Wrap(status.DspUrlBindFailed, ErrNotOwner, "header %q belongs to %s", p.Name, h.Owner)
	}
	if p.TTL == 0 || p.TTL > e.params.MaxHeaderTTL {
		return status.Wrap(status.DspUrlBindFailed, ErrMalformed, "header TTL %d, want 1-%d", p.TTL, e.params.MaxHeaderTTL)
	}
	h.ExpireHeight = e.height + p.TTL
	e.kv.put(sHeaders, []byte(p.Name), encode(h))
	return nil
}

// registerURL registers p for owner and returns the full URL. The four modes of the spec are
// Header empty or not times URL empty (random) or not.
func (e *env) registerURL(p *RegisterURL, owner [20]byte) (string, error) {
	hdrName := p.Header
	if hdrName == "" {
		hdrName = e.params.DefaultHeader
	}
	if hdrName != e.params.DefaultHeader {
		h, ok := e.header(hdrName)
		switch {
		case e.params.reserved(hdrName):
			return "", regFailed(ErrReserved, "header %q is reserved", hdrName)
		case !ok || e.height > h.ExpireHeight:
			return "", regFailed(ErrNotFound, "header %q is not registered", hdrName)
		case h.Owner != owner:
			return "", regFailed(ErrNotOwner, "header %q belongs to %s", hdrName, h.Owner)
		}
	}
	path := p.URL
	if path == "" {
		sum := sha(e.txHash[:], []byte("dns-random-url"))
		path = base58.Encode(sum[:12])
	}
	switch {
	case !ValidURLPath(path):
		return "", regFailed(ErrMalformed, "url %q: want 1-%d of A-Z a-z 0-9 . _ ~ / -", path, maxURLLen)
	case p.Link == "" || len(p.Link) > maxLinkLen:
		return "", regFailed(ErrMalformed, "link is %d bytes, want 1-%d", len(p.Link), maxLinkLen)
	case len(p.Name) > maxLinkLen || len(p.Desc) > maxDescLen:
		return "", regFailed(ErrMalformed, "name or description too long")
	case p.TTL > e.params.MaxHeaderTTL:
		return "", regFailed(ErrMalformed, "url TTL %d above %d", p.TTL, e.params.MaxHeaderTTL)
	}
	u := &URLRecord{Header: hdrName, URL: path, Link: p.Link, Name: p.Name, Owner: owner, Desc: p.Desc, BlockHeight: e.height, TTL: p.TTL}
	if p.TTL != 0 {
		u.ExpireHeight = e.height + p.TTL
	}
	full := u.Full()
	if old, ok := e.urlRecord(full); ok {
		hdr, hasHdr := e.header(old.Header)
		if liveURL(old, hdr, hasHdr, e.params, e.height) == nil {
			return "", status.Wrap(status.DspUploadUrlExist, ErrExists, "%s is registered", full)
		}
	}
	e.kv.put(sURLs, []byte(full), encode(u))
	return full, nil
}

// ownedURL returns the live URL full owned by the sender, or an error with code.
func (e *env) ownedURL(full string, code status.Code) (*URLRecord, error) {
	u, ok := e.urlRecord(full)
	if !ok {
		return nil, status.Wrap(code, ErrNotFound, "%s is not registered", full)
	}
	hdr, hasHdr := e.header(u.Header)
	if err := liveURL(u, hdr, hasHdr, e.params, e.height); err != nil {
		return nil, status.Wrap(code, err, "%s", full)
	}
	if u.Owner != e.sender {
		return nil, status.Wrap(code, ErrNotOwner, "%s belongs to %s", full, u.Owner)
	}
	return u, nil
}

func (e *env) ownedHeader(name string) (*Header, error) {
	h, ok := e.header(name)
	if !ok || e.height > h.ExpireHeight {
		return nil, status.Wrap(status.DspUrlBindFailed, ErrNotFound, "header %q is not registered", name)
	}
	if h.Owner != e.sender {
		return nil, status.Wrap(status.DspUrlBindFailed, ErrNotOwner, "header %q belongs to %s", name, h.Owner)
	}
	return h, nil
}

func (e *env) transferName(p *TransferName) error {
	if p.To.IsZero() {
		return status.New(status.InvalidWalletAddress, "transfer a name to the zero address")
	}
	if p.IsHeader {
		h, err := e.ownedHeader(p.Name)
		if err != nil {
			return err
		}
		h.Owner = p.To
		e.kv.put(sHeaders, []byte(h.Name), encode(h))
		return nil
	}
	u, err := e.ownedURL(e.fullURL(p.Name), status.DspUrlBindFailed)
	if err != nil {
		return err
	}
	u.Owner = p.To
	e.kv.put(sURLs, []byte(u.Full()), encode(u))
	return nil
}

func (e *env) fullURL(s string) string {
	h, u := SplitURL(s, e.params.DefaultHeader)
	return h + "://" + u
}

func (e *env) updateURL(p *UpdateURL) error {
	u, err := e.ownedURL(e.fullURL(p.URL), status.DspUrlBindFailed)
	if err != nil {
		return err
	}
	if p.Link == "" || len(p.Link) > maxLinkLen || len(p.Name) > maxLinkLen || len(p.Desc) > maxDescLen || p.TTL > e.params.MaxHeaderTTL {
		return status.Wrap(status.DspUrlBindFailed, ErrMalformed, "bad link, name, description or TTL")
	}
	u.Link, u.Name, u.Desc, u.TTL = p.Link, p.Name, p.Desc, p.TTL
	u.ExpireHeight = 0
	if p.TTL != 0 {
		u.ExpireHeight = e.height + p.TTL
	}
	e.kv.put(sURLs, []byte(u.Full()), encode(u))
	return nil
}

func (e *env) deleteName(p *DeleteName) error {
	if p.IsHeader {
		h, err := e.ownedHeader(p.Name)
		if err != nil {
			return err
		}
		e.kv.del(sHeaders, []byte(h.Name))
		return nil
	}
	u, err := e.ownedURL(e.fullURL(p.Name), status.DspUrlBindFailed)
	if err != nil {
		return err
	}
	e.kv.del(sURLs, []byte(u.Full()))
	return nil
}
