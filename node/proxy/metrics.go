package proxy

import (
	"github.com/prometheus/client_golang/prometheus"
)

// counts are an allocation's counters, summed.
type counts struct{ conns, refused, toNode, fromNode uint64 }

func (c *counts) add(a *allocation) {
	c.conns += a.connsTotal.Load()
	c.refused += a.refused.Load()
	c.toNode += a.toNode.Load()
	c.fromNode += a.fromNode.Load()
}

var (
	descAllocations = prometheus.NewDesc("dsp_proxy_allocations", "Proxy addresses held, by whether their node is connected.", []string{"state"}, nil)
	descRelays      = prometheus.NewDesc("dsp_proxy_relays", "Relayed connections open (or waiting for their node).", nil, nil)
	descConns       = prometheus.NewDesc("dsp_proxy_relayed_connections_total", "Connections relayed to proxied nodes.", nil, nil)
	descRefused     = prometheus.NewDesc("dsp_proxy_refused_connections_total", "Connections to proxy addresses refused (node away past the hold time, cap reached).", nil, nil)
	descBytes       = prometheus.NewDesc("dsp_proxy_relayed_bytes_total", "Bytes relayed, by direction: to_node (from peers) and from_node.", []string{"direction"}, nil)
)

var _ prometheus.Collector = (*Service)(nil)

// Describe implements prometheus.Collector: register the service on the node's registry
// (node.Metrics.Registry.MustRegister(svc)) to export the proxy's metrics.
func (s *Service) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descAllocations, descRelays, descConns, descRefused, descBytes} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. Totals include allocations already freed.
func (s *Service) Collect(ch chan<- prometheus.Metric) {
	s.mu.Lock()
	sum := s.retired
	var online, away, relays int
	for _, a := range s.byOwner {
		sum.add(a)
		relays += len(a.relays)
		if a.sess != nil {
			online++
		} else {
			away++
		}
	}
	s.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(descAllocations, prometheus.GaugeValue, float64(online), "online")
	ch <- prometheus.MustNewConstMetric(descAllocations, prometheus.GaugeValue, float64(away), "away")
	ch <- prometheus.MustNewConstMetric(descRelays, prometheus.GaugeValue, float64(relays))
	ch <- prometheus.MustNewConstMetric(descConns, prometheus.CounterValue, float64(sum.conns))
	ch <- prometheus.MustNewConstMetric(descRefused, prometheus.CounterValue, float64(sum.refused))
	ch <- prometheus.MustNewConstMetric(descBytes, prometheus.CounterValue, float64(sum.toNode), "to_node")
	ch <- prometheus.MustNewConstMetric(descBytes, prometheus.CounterValue, float64(sum.fromNode), "from_node")
}
