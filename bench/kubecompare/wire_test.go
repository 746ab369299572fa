package kubecompare_test

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// verb is the Kubernetes verb of a request, as apiserver_request_total
// labels it.
type verb int

const (
	verbGet verb = iota
	verbList
	verbWatch
	verbCreate
	verbUpdate
	verbPatch
	verbDelete
	verbOther
	numVerbs
)

// verbNames are the names the table uses. apiserver_request_total says POST
// for create and PUT for update; see metricVerb.
var verbNames = [numVerbs]string{"GET", "LIST", "WATCH", "CREATE", "UPDATE", "PATCH", "DELETE", "other"}

func (v verb) String() string { return verbNames[v] }

// metricVerb maps the verb label of apiserver_request_total to a verb.
func metricVerb(label string) verb {
	switch label {
	case "GET":
		return verbGet
	case "LIST":
		return verbList
	case "WATCH":
		return verbWatch
	case "POST", "CREATE":
		return verbCreate
	case "PUT", "UPDATE":
		return verbUpdate
	case "PATCH", "APPLY":
		return verbPatch
	case "DELETE":
		return verbDelete
	}
	return verbOther
}

// requestVerb classifies an HTTP request to the apiserver's REST API.
func requestVerb(r *http.Request) verb {
	switch r.Method {
	case http.MethodGet:
		if w := r.URL.Query().Get("watch"); w == "true" || w == "1" {
			return verbWatch
		}
		if strings.HasSuffix(strings.TrimSuffix(r.URL.Path, "/"), "/leases") {
			return verbList
		}
		return verbGet
	case http.MethodPost:
		return verbCreate
	case http.MethodPut:
		return verbUpdate
	case http.MethodPatch:
		return verbPatch
	case http.MethodDelete:
		return verbDelete
	}
	return verbOther
}

// counts holds request counts by verb.
type counts [numVerbs]int64

func (c counts) total() int64 {
	var n int64
	for _, v := range c {
		n += v
	}
	return n
}

func (c counts) minus(o counts) counts {
	for i := range c {
		c[i] -= o[i]
	}
	return c
}

func (c counts) plus(o counts) counts {
	for i := range c {
		c[i] += o[i]
	}
	return c
}

// errCut is what a cut wire returns for every request.
var errCut = errors.New("kubecompare: candidate cut off (simulated kill)")

// wire is the HTTP path of one candidate's client (installed with
// rest.Config.WrapTransport). It counts the requests that leave the process
// by verb, remembers when the latest successful write (create or update)
// completed, and can be cut: from then on every request fails before it
// leaves the process, as if the candidate had been killed. Its methods are
// safe for concurrent use.
type wire struct {
	next http.RoundTripper

	cut       atomic.Bool
	cutArmed  atomic.Bool // cut after the next successful write
	requests  [numVerbs]atomic.Int64
	mu        sync.Mutex
	lastWrite time.Time // completion of the latest successful write
	cutAt     time.Time
}

// wrap is the rest.Config.WrapTransport of the candidate's client.
func (w *wire) wrap(rt http.RoundTripper) http.RoundTripper {
	w.next = rt
	return w
}

// RoundTrip implements http.RoundTripper.
func (w *wire) RoundTrip(r *http.Request) (*http.Response, error) {
	if w.cut.Load() {
		return nil, errCut
	}
	v := requestVerb(r)
	w.requests[v].Add(1)
	resp, err := w.next.RoundTrip(r)
	if err != nil || (v != verbCreate && v != verbUpdate) || resp.StatusCode >= 300 {
		return resp, err
	}
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lastWrite = now
	if w.cutArmed.Load() && !w.cut.Load() {
		// The response is handed to the candidate, which counts it as a
		// success; nothing after it reaches the apiserver.
		w.cut.Store(true)
		w.cutAt = now
	}
	return resp, err
}

// cutAfterNextWrite arms the wire to cut itself the moment the response to
// the candidate's next successful write arrives.
func (w *wire) cutAfterNextWrite() { w.cutArmed.Store(true) }

// cutTime returns when the wire was cut, and false if it was not.
func (w *wire) cutTime() (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.cutAt, !w.cutAt.IsZero()
}

// lastWriteTime returns when the latest successful write completed.
func (w *wire) lastWriteTime() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lastWrite
}

// counts returns the requests sent so far, by verb.
func (w *wire) counts() counts {
	var c counts
	for i := range c {
		c[i] = w.requests[i].Load()
	}
	return c
}
