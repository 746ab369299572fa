package chaos

import (
	"fmt"
	"html/template"
	"io"
	"time"

	"github.com/leaderkit/leaderkit/chaos/history"
)

// Timeline geometry, in pixels.
const (
	tlWidth  = 1400
	tlLeft   = 90 // the lanes' labels
	tlLaneH  = 46
	tlTop    = 30
	tlBottom = 30
)

// timeline is what the timeline template draws.
type timeline struct {
	Title      string
	Width      int
	Height     int
	Lanes      []tlLane
	Bars       []tlBar
	Ticks      []tlTick
	Lines      []tlLine
	Marks      []tlMark
	Axis       []tlAxis
	Violations []history.Violation
	Leaders    []history.Leadership
	Log        string
	Start      time.Duration
}

type tlLane struct {
	Y     int
	Label string
}
type tlBar struct {
	X, Y, W, H         int
	Fill, Label, Title string
}
type tlTick struct {
	X, Y1, Y2 int
	Stroke    string
}
type tlLine struct {
	X     int
	Label string
}
type tlMark struct {
	X, Y  int
	Title string
}
type tlAxis struct {
	X     int
	Label string
}

// termColors colour the leaderships by term, cycling.
var termColors = [...]string{"#4e79a7", "#59a14f", "#9c755f", "#b07aa1", "#76b7b2", "#edc948", "#f28e2b"}

// renderTimeline writes h as a self-contained HTML page: one lane per
// candidate with its leaderships, pauses, writes (accepted: short green
// ticks; refused: tall red ticks) and marks, a lane of faults, and a red
// line at each violation.
func renderTimeline(w io.Writer, title string, h history.History, vs []history.Violation, log string) error {
	span := max(h.End, lastInstant(h)) - h.Start
	if span <= 0 {
		span = time.Second
	}
	x := func(at time.Duration) int {
		return tlLeft + int(float64(at-h.Start)/float64(span)*float64(tlWidth-tlLeft-20))
	}
	laneY := map[string]int{}
	tl := timeline{Title: title, Width: tlWidth, Violations: vs, Leaders: h.Leaderships, Log: log, Start: h.Start}
	for i, c := range append(append([]string{}, h.Candidates...), "faults") {
		y := tlTop + i*tlLaneH
		laneY[c] = y
		tl.Lanes = append(tl.Lanes, tlLane{Y: y, Label: c})
	}
	tl.Height = tlTop + len(tl.Lanes)*tlLaneH + tlBottom
	rel := func(at time.Duration) string { return fmt.Sprintf("%.3fs", (at - h.Start).Seconds()) }
	for i, l := range h.Leaderships {
		tl.Bars = append(tl.Bars, tlBar{X: x(l.Start), Y: laneY[l.Candidate] + 8, W: max(x(l.End)-x(l.Start), 1), H: 22,
			Fill: termColors[i%len(termColors)], Label: fmt.Sprintf("term %d", l.Term),
			Title: fmt.Sprintf("%s leads, term %d, %s–%s (%s)", l.Candidate, l.Term, rel(l.Start), rel(l.End), l.Cause)})
	}
	for _, p := range h.Pauses {
		tl.Bars = append(tl.Bars, tlBar{X: x(p.Start), Y: laneY[p.Candidate] + 2, W: max(x(p.End)-x(p.Start), 1), H: 34,
			Fill: "url(#paused)", Title: fmt.Sprintf("%s paused (SIGSTOP) %s–%s", p.Candidate, rel(p.Start), rel(p.End))})
	}
	// Faults share their lane, one row each, so that two at once both show.
	rowH := 30 / max(len(h.Faults), 1)
	for i, f := range h.Faults {
		target := "the server"
		if f.Target != "" {
			target = f.Target
		}
		tl.Bars = append(tl.Bars, tlBar{X: x(f.Start), Y: laneY["faults"] + 6 + i*rowH, W: max(x(f.End)-x(f.Start), 3), H: rowH - 2,
			Fill: "#e15759", Label: f.Name, Title: fmt.Sprintf("%s at %s, %s–%s", f.Name, target, rel(f.Start), rel(f.End))})
	}
	for _, wr := range h.Writes {
		y := laneY[wr.Candidate]
		if wr.Accepted {
			tl.Ticks = append(tl.Ticks, tlTick{X: x(wr.At), Y1: y + 32, Y2: y + 38, Stroke: "#2a7a2a"})
		} else {
			tl.Ticks = append(tl.Ticks, tlTick{X: x(wr.At), Y1: y + 2, Y2: y + 42, Stroke: "#d62728"})
		}
	}
	for _, m := range h.Marks {
		tl.Marks = append(tl.Marks, tlMark{X: x(m.At), Y: laneY[m.Candidate] + 4, Title: fmt.Sprintf("%s %s at %s", m.Candidate, m.Label, rel(m.At))})
	}
	for _, v := range vs {
		tl.Lines = append(tl.Lines, tlLine{X: x(v.At), Label: string(v.Rule)})
	}
	step := axisStep(span)
	for at := time.Duration(0); at <= span; at += step {
		tl.Axis = append(tl.Axis, tlAxis{X: x(h.Start + at), Label: fmt.Sprintf("%gs", at.Seconds())})
	}
	return timelineTemplate.Execute(w, tl)
}

// axisStep picks a step giving about ten axis labels.
func axisStep(span time.Duration) time.Duration {
	for _, s := range []time.Duration{100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
		time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second} {
		if span/s <= 12 {
			return s
		}
	}
	return 30 * time.Second
}

func lastInstant(h history.History) time.Duration {
	last := h.End
	for _, l := range h.Leaderships {
		last = max(last, l.End)
	}
	for _, w := range h.Writes {
		last = max(last, w.At)
	}
	for _, m := range h.Marks {
		last = max(last, m.At)
	}
	return last
}

var timelineTemplate = template.Must(template.New("timeline").Funcs(template.FuncMap{
	"rel": func(start, at time.Duration) string { return fmt.Sprintf("%.3fs", (at - start).Seconds()) },
}).Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font:14px system-ui,sans-serif;margin:20px;color:#222}
svg text{font:12px system-ui,sans-serif}
table{border-collapse:collapse;margin:10px 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}
.bad{color:#d62728;font-weight:bold} pre{background:#f6f6f6;padding:8px;overflow:auto;max-height:400px}
</style></head><body>
<h1>{{.Title}}</h1>
{{if .Violations}}<p class="bad">{{len .Violations}} violation(s):</p><ul>{{range .Violations}}<li class="bad">{{.}}</li>{{end}}</ul>
{{else}}<p>No violation.</p>{{end}}
<p>Bars: leadership (guarded work) per term; hatched: process paused (SIGSTOP); short green ticks: writes the
fencing store accepted; tall red ticks: writes it refused as stale; triangles: process events (hover for
details); red bars in the last lane: faults; red vertical lines: violations.</p>
<svg xmlns="http://www.w3.org/2000/svg" width="{{.Width}}" height="{{.Height}}">
<defs><pattern id="paused" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
<rect width="8" height="8" fill="#ddd" fill-opacity="0.6"/><line x1="0" y1="0" x2="0" y2="8" stroke="#888" stroke-width="3"/></pattern></defs>
{{range .Lanes}}<line x1="0" y1="{{.Y}}" x2="{{$.Width}}" y2="{{.Y}}" stroke="#eee"/><text x="4" y="{{.Y}}" dy="26">{{.Label}}</text>
{{end}}{{range .Axis}}<line x1="{{.X}}" y1="20" x2="{{.X}}" y2="{{$.Height}}" stroke="#f2f2f2"/><text x="{{.X}}" y="14">{{.Label}}</text>
{{end}}{{range .Bars}}<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" fill="{{.Fill}}"><title>{{.Title}}</title></rect>{{if .Label}}<text x="{{.X}}" y="{{.Y}}" dx="5" dy="{{.H}}" dominant-baseline="text-after-edge" fill="#222" paint-order="stroke" stroke="#fff" stroke-width="3">{{.Label}}</text>{{end}}
{{end}}{{range .Ticks}}<line x1="{{.X}}" y1="{{.Y1}}" x2="{{.X}}" y2="{{.Y2}}" stroke="{{.Stroke}}"/>
{{end}}{{range .Marks}}<path d="M{{.X}},{{.Y}} l-4,-6 l8,0 z" fill="#333"><title>{{.Title}}</title></path>
{{end}}{{range .Lines}}<line x1="{{.X}}" y1="20" x2="{{.X}}" y2="{{$.Height}}" stroke="#d62728" stroke-width="2"/><text x="{{.X}}" y="{{$.Height}}" dx="3" dy="-4" fill="#d62728">{{.Label}}</text>
{{end}}</svg>
<h2>Leaderships</h2><table><tr><th>candidate</th><th>term</th><th>start</th><th>end</th><th>how it ended</th></tr>
{{range .Leaders}}<tr><td>{{.Candidate}}</td><td>{{.Term}}</td><td>{{rel $.Start .Start}}</td><td>{{rel $.Start .End}}</td><td>{{.Cause}}</td></tr>{{end}}</table>
<h2>Harness log</h2><pre>{{.Log}}</pre>
</body></html>
`))
