package roles

import (
	"context"

	"dsp/ledger"
	"dsp/node/client"
	"dsp/node/proxy"
	"dsp/status"
)

// Proxies implements client.ProxyAPI.
func (s *services) Proxies(ctx context.Context) (*client.ProxyOverview, error) {
	out := &client.ProxyOverview{Known: []client.NodeInfo{}}
	if ns, err := s.n.led.Nodes(ctx, ledger.RoleProxy); err == nil {
		for _, ni := range ns {
			out.Known = append(out.Known, s.withPeer(nodeInfo(ni)))
		}
	}
	if pc := s.n.prxCli; pc != nil && pc.Proxy() != "" {
		st := proxyStatus(pc.Status())
		out.Mine = &st
	}
	if ps := s.n.prxSvc; ps != nil {
		for _, a := range ps.Allocations() {
			out.Serving = append(out.Serving, client.ProxyAllocation{Account: a.Owner, Address: a.Address, Online: a.Online,
				Relayed: a.Conns, BytesIn: a.BytesToNode, BytesOut: a.BytesFromNode, Expires: a.Expires})
		}
	}
	return out, nil
}

func proxyStatus(st proxy.Status) client.ProxyStatus {
	return client.ProxyStatus{Proxy: st.Proxy, Address: st.Address, State: string(st.State), LastKeepalive: st.LastKeepalive,
		Relayed: int(st.Relayed), BytesIn: st.BytesIn, BytesOut: st.BytesOut}
}

// RequestProxy implements client.ProxyAPI: url "" asks the configured proxy again.
func (s *services) RequestProxy(ctx context.Context, url string) (*client.ProxyStatus, error) {
	pc := s.n.prxCli
	if pc == nil {
		return nil, status.Wrap(status.NoDsp, errNotRunning, "a proxy node does not use a proxy")
	}
	var err error
	if url == "" || url == pc.Proxy() {
		_, err = pc.Request(ctx)
	} else {
		_, err = pc.Use(ctx, url)
	}
	if err != nil {
		return nil, err
	}
	st := proxyStatus(pc.Status())
	return &st, nil
}

// ReleaseProxy implements client.ProxyAPI.
func (s *services) ReleaseProxy(ctx context.Context) error {
	pc := s.n.prxCli
	if pc == nil {
		return status.Wrap(status.NoDsp, errNotRunning, "a proxy node does not use a proxy")
	}
	return pc.Release(ctx)
}
