package task

import (
	"context"

	"dsp/keys"
	"dsp/node"
	"dsp/node/scan"
	"dsp/status"
	"dsp/store"
)

// Holder is a node that holds a file, as SCAN reports it.
type Holder struct {
	Account keys.Address
	Addrs   []string
}

// Scan is what the manager asks of SCAN: find a file's holders and announce this node as one.
// HostScan implements it over a host.
type Scan interface {
	// Announce tells SCAN that this node holds fileHash, missing left blocks, as typ.
	Announce(ctx context.Context, fileHash store.Hash, left uint64, typ scan.HolderType) error
	// Holders returns the live holders of fileHash.
	Holders(ctx context.Context, fileHash store.Hash) ([]Holder, error)
}

// HostScan returns a Scan that asks the SCAN node at url ("ACCOUNT@kcp://host:port" pins its
// account) from h, connecting when needed. Announcements carry h's listen addresses.
func HostScan(h *node.Host, url string) Scan { return &hostScan{h: h, url: url} }

type hostScan struct {
	h   *node.Host
	url string
}

func (s *hostScan) client(ctx context.Context) (*scan.Client, error) {
	p, err := s.h.Connect(ctx, s.url)
	if err != nil {
		return nil, status.Wrap(status.TaskNoConnectedDns, err, "connect to scan %s", s.url)
	}
	return scan.NewClient(scan.HostRoundTripper(s.h, p.Account())), nil
}

func (s *hostScan) Announce(ctx context.Context, fileHash store.Hash, left uint64, typ scan.HolderType) error {
	c, err := s.client(ctx)
	if err != nil {
		return err
	}
	_, err = c.Announce(ctx, scan.NewTorrent(fileHash[:], left, typ, s.h.Account(), s.h.Addrs()...))
	return err
}

func (s *hostScan) Holders(ctx context.Context, fileHash store.Hash) ([]Holder, error) {
	c, err := s.client(ctx)
	if err != nil {
		return nil, err
	}
	hs, err := c.Peers(ctx, fileHash[:], 0)
	if err != nil {
		return nil, err
	}
	out := make([]Holder, 0, len(hs))
	for _, h := range hs {
		out = append(out, Holder{Account: h.Account, Addrs: h.Addrs})
	}
	return out, nil
}
