package node

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Drop reasons, the values of the "reason" label of dsp_frames_dropped_total.
const (
	DropWrongNetwork   = "wrong_network"
	DropMalformed      = "malformed"
	DropOversized      = "oversized"
	DropCompression    = "unknown_compression"
	DropBadSignature   = "bad_signature"
	DropIDMismatch     = "id_mismatch"
	DropUnknownOpcode  = "unknown_opcode"
	DropReplay         = "replayed_nonce"
	DropNoHandler      = "no_handler"
	DropUnknownStream  = "unknown_stream"
	DropUnexpectedSend = "unexpected_reply"
	DropBroken         = "stream_broken"
)

// Metrics are the host's Prometheus collectors, registered on their own registry so several hosts
// can live in one process (tests, the embedded devnet).
type Metrics struct {
	// Registry holds every collector below; serve it with promhttp.HandlerFor.
	Registry *prometheus.Registry

	Peers    prometheus.Gauge
	BytesIn  prometheus.Counter
	BytesOut prometheus.Counter
	Dropped  *prometheus.CounterVec // label reason
	RTT      *prometheus.GaugeVec   // label peer (account address), seconds
	Messages *prometheus.CounterVec // label direction (in, out)

	msgIn, msgOut prometheus.Counter // Messages' two series, looked up once
}

// NewMetrics makes the collectors and registers them on a fresh registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Peers:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "dsp_peers", Help: "Peers connected and authenticated."}),
		BytesIn:  prometheus.NewCounter(prometheus.CounterOpts{Name: "dsp_bytes_in_total", Help: "Bytes received from peers at the transport (KCP payload) level."}),
		BytesOut: prometheus.NewCounter(prometheus.CounterOpts{Name: "dsp_bytes_out_total", Help: "Bytes sent to peers at the transport (KCP payload) level."}),
		Dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dsp_frames_dropped_total", Help: "Messages and frames dropped, by reason.",
		}, []string{"reason"}),
		RTT: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "dsp_peer_rtt_seconds", Help: "Last keepalive or ping round trip to each peer.",
		}, []string{"peer"}),
		Messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dsp_messages_total", Help: "Messages sent and received on message streams.",
		}, []string{"direction"}),
	}
	m.msgIn, m.msgOut = m.Messages.WithLabelValues("in"), m.Messages.WithLabelValues("out")
	m.Registry.MustRegister(m.Peers, m.BytesIn, m.BytesOut, m.Dropped, m.RTT, m.Messages,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}
