package kubecompare_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"k8s.io/client-go/kubernetes"
)

// leaseMetrics is what the apiserver's /metrics says about requests on
// coordination.k8s.io leases.
type leaseMetrics struct {
	requests counts // apiserver_request_total, by verb, every code
	errors   int64  // of which answered with a code >= 400
	watches  int64  // apiserver_longrunning_requests{verb="WATCH"}: open watches
}

func (m leaseMetrics) minus(o leaseMetrics) leaseMetrics {
	return leaseMetrics{requests: m.requests.minus(o.requests), errors: m.errors - o.errors, watches: m.watches - o.watches}
}

// scrapeLeaseMetrics reads /metrics with the administrator's client.
func scrapeLeaseMetrics(ctx context.Context, admin kubernetes.Interface) (leaseMetrics, error) {
	body, err := admin.Discovery().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return leaseMetrics{}, fmt.Errorf("reading the apiserver's /metrics: %w", err)
	}
	return parseLeaseMetrics(string(body))
}

// parseLeaseMetrics extracts the lease request counts from a Prometheus
// text exposition.
func parseLeaseMetrics(text string) (leaseMetrics, error) {
	var m leaseMetrics
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		name, labels, value, ok, err := parseSample(line)
		if err != nil {
			return leaseMetrics{}, err
		}
		if !ok || labels["group"] != "coordination.k8s.io" || labels["resource"] != "leases" || labels["subresource"] != "" {
			continue
		}
		n := int64(value)
		switch name {
		case "apiserver_request_total":
			m.requests[metricVerb(labels["verb"])] += n
			if code, err := strconv.Atoi(labels["code"]); err == nil && code >= 400 {
				m.errors += n
			}
		case "apiserver_longrunning_requests":
			if labels["verb"] == "WATCH" {
				m.watches += n
			}
		}
	}
	return m, nil
}

// parseSample parses one sample line, name{label="value",...} value
// [timestamp]. ok is false for comments, blank lines and samples without
// labels.
func parseSample(line string) (name string, labels map[string]string, value float64, ok bool, err error) {
	if line == "" || strings.HasPrefix(line, "#") {
		return "", nil, 0, false, nil
	}
	open := strings.IndexByte(line, '{')
	if open < 0 {
		return "", nil, 0, false, nil
	}
	name, rest := line[:open], line[open+1:]
	labels = map[string]string{}
	for {
		rest = strings.TrimLeft(rest, ", ")
		if strings.HasPrefix(rest, "}") {
			rest = rest[1:]
			break
		}
		eq := strings.Index(rest, `="`)
		if eq < 0 {
			return "", nil, 0, false, fmt.Errorf("malformed labels in %q", line)
		}
		key := rest[:eq]
		rest = rest[eq+2:]
		var val strings.Builder
		closed := false
		for i := 0; i < len(rest); i++ {
			c := rest[i]
			if c == '\\' && i+1 < len(rest) {
				i++
				switch rest[i] {
				case 'n':
					val.WriteByte('\n')
				default:
					val.WriteByte(rest[i])
				}
				continue
			}
			if c == '"' {
				rest, closed = rest[i+1:], true
				break
			}
			val.WriteByte(c)
		}
		if !closed {
			return "", nil, 0, false, fmt.Errorf("unterminated label value in %q", line)
		}
		labels[key] = val.String()
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return "", nil, 0, false, fmt.Errorf("no value in %q", line)
	}
	value, err = strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return "", nil, 0, false, fmt.Errorf("value of %q: %w", line, err)
	}
	return name, labels, value, true, nil
}
