package devnet

import (
	"context"

	"dsp/node/client"
)

// Channels implements client.ChannelAPI.
func (c liveClient) Channels(ctx context.Context) (*client.ChannelList, error) {
	return fwd(ctx, c, func(cc client.Client) (*client.ChannelList, error) { return cc.Channels(ctx) })
}

// OpenChannel implements client.ChannelAPI.
func (c liveClient) OpenChannel(ctx context.Context, req client.OpenChannelRequest) (*client.Channel, error) {
	return fwd(ctx, c, func(cc client.Client) (*client.Channel, error) { return cc.OpenChannel(ctx, req) })
}

// DepositChannel implements client.ChannelAPI.
func (c liveClient) DepositChannel(ctx context.Context, id string, amount uint64) (*client.TxResult, error) {
	return fwd(ctx, c, func(cc client.Client) (*client.TxResult, error) { return cc.DepositChannel(ctx, id, amount) })
}

// CloseChannel implements client.ChannelAPI.
func (c liveClient) CloseChannel(ctx context.Context, id string) (*client.TxResult, error) {
	return fwd(ctx, c, func(cc client.Client) (*client.TxResult, error) { return cc.CloseChannel(ctx, id) })
}

// SettleChannel implements client.ChannelAPI.
func (c liveClient) SettleChannel(ctx context.Context, id string) (*client.TxResult, error) {
	return fwd(ctx, c, func(cc client.Client) (*client.TxResult, error) { return cc.SettleChannel(ctx, id) })
}

// Earnings implements client.ChannelAPI.
func (c liveClient) Earnings(ctx context.Context) (*client.Earnings, error) {
	return fwd(ctx, c, func(cc client.Client) (*client.Earnings, error) { return cc.Earnings(ctx) })
}
