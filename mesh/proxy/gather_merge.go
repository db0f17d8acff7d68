package proxy

import (
	"strings"

	dto "github.com/prometheus/client_model/go"
)

// sumDuplicates folds series of a family that have the same labels into
// one: two proxies of one service on a node carry the same target labels
// (service, namespace, never an alloc ID), and a registry refuses two
// series with equal labels. Counters, gauges and untyped values add up;
// histograms add counts, sums and buckets of equal bounds; summaries add
// counts and sums (their quantiles cannot be merged and are dropped).
func sumDuplicates(f *dto.MetricFamily) {
	if len(f.Metric) < 2 {
		return
	}
	byKey := make(map[string]*dto.Metric, len(f.Metric))
	kept := f.Metric[:0]
	for _, m := range f.Metric {
		key := labelKey(m)
		have, ok := byKey[key]
		if !ok {
			byKey[key] = m
			kept = append(kept, m)
			continue
		}
		addMetric(have, m)
	}
	f.Metric = kept
}

func labelKey(m *dto.Metric) string {
	var b strings.Builder
	for _, l := range m.Label { // sorted by addLabels
		b.WriteString(l.GetName())
		b.WriteByte(0)
		b.WriteString(l.GetValue())
		b.WriteByte(0)
	}
	return b.String()
}

func addMetric(dst, src *dto.Metric) {
	switch {
	case dst.Counter != nil && src.Counter != nil:
		dst.Counter.Value = ptrTo(dst.Counter.GetValue() + src.Counter.GetValue())
	case dst.Gauge != nil && src.Gauge != nil:
		dst.Gauge.Value = ptrTo(dst.Gauge.GetValue() + src.Gauge.GetValue())
	case dst.Untyped != nil && src.Untyped != nil:
		dst.Untyped.Value = ptrTo(dst.Untyped.GetValue() + src.Untyped.GetValue())
	case dst.Histogram != nil && src.Histogram != nil:
		addHistogram(dst.Histogram, src.Histogram)
	case dst.Summary != nil && src.Summary != nil:
		dst.Summary.SampleCount = ptrTo(dst.Summary.GetSampleCount() + src.Summary.GetSampleCount())
		dst.Summary.SampleSum = ptrTo(dst.Summary.GetSampleSum() + src.Summary.GetSampleSum())
		dst.Summary.Quantile = nil
	}
}

// addHistogram adds src's buckets to dst's of the same upper bound; all
// proxies are one binary, so their bounds agree.
func addHistogram(dst, src *dto.Histogram) {
	dst.SampleCount = ptrTo(dst.GetSampleCount() + src.GetSampleCount())
	dst.SampleSum = ptrTo(dst.GetSampleSum() + src.GetSampleSum())
	counts := make(map[float64]uint64, len(src.Bucket))
	for _, b := range src.Bucket {
		counts[b.GetUpperBound()] = b.GetCumulativeCount()
	}
	for _, b := range dst.Bucket {
		b.CumulativeCount = ptrTo(b.GetCumulativeCount() + counts[b.GetUpperBound()])
	}
}

func ptrTo[T any](v T) *T { return &v }
