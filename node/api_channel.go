package node

import (
	"context"
	"net/http"

	"dsp/node/client"
)

// The ChannelAPI of Local and its control API routes (docs/node.md): the mounted Services answer
// when they implement client.ChannelAPI, else NO_DSP.

func (l local) channels() (client.ChannelAPI, error) {
	if c, ok := l.Services.(client.ChannelAPI); ok {
		return c, nil
	}
	return nil, notAvailable("payment channels")
}

// Channels implements client.ChannelAPI.
func (l local) Channels(ctx context.Context) (*client.ChannelList, error) {
	c, err := l.channels()
	if err != nil {
		return nil, err
	}
	return c.Channels(ctx)
}

// OpenChannel implements client.ChannelAPI.
func (l local) OpenChannel(ctx context.Context, req client.OpenChannelRequest) (*client.Channel, error) {
	c, err := l.channels()
	if err != nil {
		return nil, err
	}
	return c.OpenChannel(ctx, req)
}

// DepositChannel implements client.ChannelAPI.
func (l local) DepositChannel(ctx context.Context, id string, amount uint64) (*client.TxResult, error) {
	c, err := l.channels()
	if err != nil {
		return nil, err
	}
	return c.DepositChannel(ctx, id, amount)
}

// CloseChannel implements client.ChannelAPI.
func (l local) CloseChannel(ctx context.Context, id string) (*client.TxResult, error) {
	c, err := l.channels()
	if err != nil {
		return nil, err
	}
	return c.CloseChannel(ctx, id)
}

// CoopCloseChannel implements client.ChannelAPI.
func (l local) CoopCloseChannel(ctx context.Context, id string, req client.CoopCloseRequest) (*client.CoopCloseResult, error) {
	c, err := l.channels()
	if err != nil {
		return nil, err
	}
	return c.CoopCloseChannel(ctx, id, req)
}

// SettleChannel implements client.ChannelAPI.
func (l local) SettleChannel(ctx context.Context, id string) (*client.TxResult, error) {
	c, err := l.channels()
	if err != nil {
		return nil, err
	}
	return c.SettleChannel(ctx, id)
}

// Earnings implements client.ChannelAPI.
func (l local) Earnings(ctx context.Context) (*client.Earnings, error) {
	c, err := l.channels()
	if err != nil {
		return nil, err
	}
	return c.Earnings(ctx)
}

// channelRoutes registers the ChannelAPI routes: GET/POST /api/v1/channels, POST
// /api/v1/channels/{id}/deposit|close|coop-close|settle, GET /api/v1/earnings.
func channelRoutes(mux *http.ServeMux, c client.ChannelAPI) {
	mux.HandleFunc("GET /api/v1/channels", noBody(func(r *http.Request) (any, error) { return c.Channels(r.Context()) }))
	mux.HandleFunc("POST /api/v1/channels", body(func(r *http.Request, in client.OpenChannelRequest) (any, error) {
		return c.OpenChannel(r.Context(), in)
	}))
	mux.HandleFunc("POST /api/v1/channels/{id}/deposit", body(func(r *http.Request, in client.AmountRequest) (any, error) {
		return c.DepositChannel(r.Context(), r.PathValue("id"), in.Amount)
	}))
	mux.HandleFunc("POST /api/v1/channels/{id}/close", noBody(func(r *http.Request) (any, error) {
		return c.CloseChannel(r.Context(), r.PathValue("id"))
	}))
	mux.HandleFunc("POST /api/v1/channels/{id}/coop-close", body(func(r *http.Request, in client.CoopCloseRequest) (any, error) {
		return c.CoopCloseChannel(r.Context(), r.PathValue("id"), in)
	}))
	mux.HandleFunc("POST /api/v1/channels/{id}/settle", noBody(func(r *http.Request) (any, error) {
		return c.SettleChannel(r.Context(), r.PathValue("id"))
	}))
	mux.HandleFunc("GET /api/v1/earnings", noBody(func(r *http.Request) (any, error) { return c.Earnings(r.Context()) }))
}
