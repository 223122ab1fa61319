package devnet

import (
	"context"

	"dsp/node/client"
)

// CoopCloseChannel implements client.ChannelAPI.
func (c liveClient) CoopCloseChannel(ctx context.Context, id string, req client.CoopCloseRequest) (*client.CoopCloseResult, error) {
	return fwd(ctx, c, func(cc client.Client) (*client.CoopCloseResult, error) { return cc.CoopCloseChannel(ctx, id, req) })
}
