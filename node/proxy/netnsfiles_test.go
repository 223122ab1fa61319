package proxy

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"dsp/keys"
	"dsp/ledger"
	"dsp/node"
	"dsp/node/scan"
	"dsp/node/task"
	"dsp/store"
)

// TestNetnsFiles runs the real transfer engine across the namespaces of TestNetnsRelay: the proxy
// node also serves the ledger and SCAN (it is the one node both sides reach); a public FS node and
// a private FS node each hold a proxy address and register it on the ledger. A client in the
// public namespace uploads a file that goes to the private FS node (the cheaper one) and a second
// client downloads it from there; the private node uploads a file to the public FS node, which the
// second client downloads too. Both files come back with their hashes, every byte to or from the
// private node through the proxy.
func TestNetnsFiles(t *testing.T) {
	if os.Getenv("DSP_PROXY_NETNS_ROLE") != "" {
		t.Skip("running as a role")
	}
	nn := makeNetns(t)
	ks := map[string]string{}
	for _, name := range []string{"producer", "scan", "fpublic", "fprivate", "carol", "dave"} {
		ks[name] = hex.EncodeToString(genKey(t).PrivateBytes())
	}
	writeJSON(t, nn.dir, "keys", ks)
	nn.start("fproxy", nn.prx)
	nn.start("fpublic", nn.pub)
	nn.start("fprivate", nn.prv)
	nn.start("fclient", nn.pub)
	nn.wait("fprivate-result", "fclient-result")
}

// nsKey loads the key the parent test made for name.
func nsKey(t *testing.T, dir, name string) *keys.KeyPair {
	var ks map[string]string
	must(t, waitJSON(dir, "keys", 10*time.Second, &ks))
	b, err := hex.DecodeString(ks[name])
	must(t, err)
	k, err := keys.FromPrivateBytes(keys.DefaultScheme, b)
	must(t, err)
	return k
}

// fileRole runs the roles of TestNetnsFiles; it reports whether role was one of them.
func fileRole(t *testing.T, ctx context.Context, role, dir string) bool {
	proxyAt := func(leg string) string {
		var px nsInfo
		must(t, waitJSON(dir, "fproxy", 60*time.Second, &px))
		return px.Account + "@kcp://" + leg + ":" + nsProxyPort
	}
	switch role {
	case "fproxy":
		producer := nsKey(t, dir, "producer")
		funded := map[keys.Address]uint64{}
		for _, n := range []string{"fpublic", "fprivate", "carol", "dave"} {
			funded[nsKey(t, dir, n).Address()] = 1 << 40
		}
		l, err := ledger.Open(ledger.Config{Path: filepath.Join(t.TempDir(), "ledger.db"), Genesis: ledger.DevnetGenesis(producer.Address(), funded),
			Producer: producer, BlockInterval: 100 * time.Millisecond, Logger: quietLogger()})
		must(t, err)
		t.Cleanup(func() { l.Close() })
		tr, err := scan.Open(scan.Config{Path: filepath.Join(t.TempDir(), "scan.db")})
		must(t, err)
		t.Cleanup(func() { tr.Close() })
		ss, err := scan.NewService(scan.ServiceConfig{Tracker: tr, SyncInterval: time.Hour, Logger: quietLogger()})
		must(t, err)
		ps, err := NewService(Config{PublicHost: nsProxyPublic, Logger: quietLogger()})
		must(t, err)
		h := startHost(t, hostConfig(nsKey(t, dir, "scan"), "kcp://0.0.0.0:"+nsProxyPort), func(h *node.Host) error {
			if err := ps.Mount(h); err != nil {
				return err
			}
			if err := ss.Mount(h); err != nil {
				return err
			}
			return h.Register(ledgerComp{h: ledger.NewHandler(l)}, ledgerRange)
		})
		writeJSON(t, dir, "fproxy", nsInfo{Account: h.Account().String()})
	case "fpublic":
		p, _ := nsFSNode(t, dir, "fpublic", proxyAt(nsProxyPublic), 2, "kcp://"+nsPublic+":7001")
		writeJSON(t, dir, "fpublic", nsInfo{Account: p.host.Account().String(), Address: p.host.Addrs()[0]})
	case "fprivate":
		p, _ := nsFSNode(t, dir, "fprivate", proxyAt(nsProxyPrivate), 1)
		writeJSON(t, dir, "fprivate", nsInfo{Account: p.host.Account().String(), Address: p.host.Addrs()[0]})
		var pub nsInfo
		must(t, waitJSON(dir, "fpublic", 60*time.Second, &pub))
		res := nsInfo{Done: true}
		in, sum := writeRandom(t, t.TempDir(), "b.bin", 3*store.BlockSize+77, 2)
		err := func() error {
			id, err := p.m.Upload(ctx, task.UploadRequest{Path: in, Copies: 1, ProveInterval: 10, Privilege: ledger.PrivilegePublic})
			if err != nil {
				return err
			}
			up, err := waitTask(ctx, p.m, id)
			if err != nil {
				return err
			}
			res.Address = up.FileHash
			res.Direct = hex.EncodeToString(sum[:])
			return nil
		}()
		res.Err = errString(err)
		writeJSON(t, dir, "fprivate-result", res)
	case "fclient":
		var pub, priv nsInfo
		must(t, waitJSON(dir, "fpublic", 60*time.Second, &pub))
		must(t, waitJSON(dir, "fprivate", 60*time.Second, &priv))
		purl := proxyAt(nsProxyPublic)
		carol, _ := nsFSClient(t, dir, "carol", purl)
		dave, _ := nsFSClient(t, dir, "dave", purl)
		err := func() error {
			in, sum := writeRandom(t, t.TempDir(), "a.bin", 5*store.BlockSize+1234, 1)
			id, err := carol.m.Upload(ctx, task.UploadRequest{Path: in, Copies: 1, ProveInterval: 10, Privilege: ledger.PrivilegePublic})
			if err != nil {
				return err
			}
			up, err := waitTask(ctx, carol.m, id)
			if err != nil {
				return fmt.Errorf("upload to the private node: %w", err)
			}
			if err := nsDownload(ctx, t, dave, up.FileHash, sum, priv.Account); err != nil {
				return fmt.Errorf("download from the private node: %w", err)
			}
			var pr nsInfo
			if err := waitJSON(dir, "fprivate-result", 120*time.Second, &pr); err != nil || pr.Err != "" {
				return fmt.Errorf("private node's upload: %v %s", err, pr.Err)
			}
			var sum2 [32]byte
			hex.Decode(sum2[:], []byte(pr.Direct))
			if err := nsDownload(ctx, t, dave, pr.Address, sum2, pub.Account); err != nil {
				return fmt.Errorf("download of the private node's upload from the public node: %w", err)
			}
			return nil
		}()
		writeJSON(t, dir, "fclient-result", nsInfo{Done: true, Err: errString(err)})
	default:
		return false
	}
	return true
}

// nsFSNode starts an FS storage node of TestNetnsFiles holding an address on the proxy at purl
// (also its ledger and SCAN node), registered at that address with price.
func nsFSNode(t *testing.T, dir, name, purl string, price uint64, extra ...string) (*fsPeer, *Client) {
	c, err := NewClient(ClientConfig{Proxy: purl, KeepaliveInterval: time.Second, RetryInterval: 200 * time.Millisecond, Logger: quietLogger()})
	must(t, err)
	cfg := hostConfig(nil, append([]string{c.ListenURL()}, extra...)...)
	cfg.Transports = node.Transports{"kcp": node.NewKCP(node.DefaultKCPConfig()), "proxy": c.Transport()}
	rt := &remoteRT{url: purl}
	p := startFSPeer(t, t.TempDir(), ledger.NewRemote(rt), purl, name, nsKey(t, dir, name), cfg, true, price, func(h *node.Host) error {
		rt.h = h
		return c.Mount(h)
	})
	return p, c
}

// nsFSClient starts a client node (serve-only fs, task manager) with no listener.
func nsFSClient(t *testing.T, dir, name, purl string) (*fsPeer, error) {
	rt := &remoteRT{url: purl}
	p := startFSPeer(t, t.TempDir(), ledger.NewRemote(rt), purl, name, nsKey(t, dir, name), hostConfig(nil), false, 0, func(h *node.Host) error {
		rt.h = h
		return nil
	})
	return p, nil
}

// nsDownload downloads fileHash with p and checks its content hash and that holder served it.
func nsDownload(ctx context.Context, t *testing.T, p *fsPeer, fileHash string, sum [32]byte, holder string) error {
	out := filepath.Join(t.TempDir(), fileHash+".out")
	id, err := p.m.Download(ctx, task.DownloadRequest{Hash: fileHash, Output: out})
	if err != nil {
		return err
	}
	in, err := waitTask(ctx, p.m, id)
	if err != nil {
		return err
	}
	if got := sumFile(t, out); got != sum {
		return fmt.Errorf("file %s: content hashes to %x, want %x", fileHash, got, sum)
	}
	for _, pi := range in.Peers {
		if pi.Account.String() == holder && pi.Held > 0 {
			return nil
		}
	}
	return fmt.Errorf("file %s came from %+v, not from %s", fileHash, in.Peers, holder)
}

func waitTask(ctx context.Context, m *task.Manager, id task.ID) (task.Info, error) {
	in, err := m.Wait(ctx, id)
	if err != nil {
		return in, err
	}
	if in.State != task.Done {
		return in, fmt.Errorf("task %s: %s (%s %d: %s)", id, in.State, in.StatusName, in.Code, in.Msg)
	}
	return in, nil
}
