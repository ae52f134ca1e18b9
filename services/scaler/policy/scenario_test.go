package policy

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestScenarios replays each testdata/*.txt and compares the decisions with
// the .golden file beside it. A scenario is a list of lines:
//
//	params stable=60s panic=6s grace=30s up=1000 down=2 target=0.7 threshold=2 bucket=1s
//	limits concurrency=10 min=0 max=20
//	step 2s waiting=100 inflight=0 arrivals=0 completions=0 ready=0 [draining]
//	repeat 5 2s waiting=7 ready=1
//	poke 1s
//	decider peak
//	grow 1s n=3
//	step 2s waiting=1 [expedited]
//
// ready=follow sets the ready count to the previous desired count, as if
// the cluster manager kept up.
// step advances the time and decides; repeat does that N times; poke
// advances the time and pokes; grow advances the time and records a need of
// n instances. decider selects Decide (kpa, the default) or DecidePeak
// (peak) for the steps that follow. Blank lines and lines starting with #
// are skipped. Omitted fields are zero; omitted params are the defaults.
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no scenarios in testdata/")
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txt")
		t.Run(name, func(t *testing.T) {
			got, err := replay(file)
			if err != nil {
				t.Fatal(err)
			}
			golden := strings.TrimSuffix(file, ".txt") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Fatalf("decisions differ from %s (run with -update if the change is meant):\n%s", golden, diff(string(want), got))
			}
		})
	}
}

func replay(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	p := DefaultParams()
	lim := lim10
	var st State
	now := t0
	decide := Decide
	var out strings.Builder
	sc := bufio.NewScanner(f)
	for lineNo := 1; sc.Scan(); lineNo++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		fail := func(err error) (string, error) { return "", fmt.Errorf("%s:%d: %w", file, lineNo, err) }
		switch fields[0] {
		case "params":
			if err := setParams(&p, fields[1:]); err != nil {
				return fail(err)
			}
		case "limits":
			if err := setLimits(&lim, fields[1:]); err != nil {
				return fail(err)
			}
		case "decider":
			switch strings.Join(fields[1:], " ") {
			case "kpa":
				decide = Decide
			case "peak":
				decide = DecidePeak
			default:
				return fail(fmt.Errorf("decider wants kpa or peak"))
			}
		case "grow":
			if len(fields) != 3 || !strings.HasPrefix(fields[2], "n=") {
				return fail(fmt.Errorf("grow wants a duration and n=<count>"))
			}
			dt, err := time.ParseDuration(fields[1])
			if err != nil {
				return fail(err)
			}
			n, err := strconv.Atoi(strings.TrimPrefix(fields[2], "n="))
			if err != nil {
				return fail(err)
			}
			now = now.Add(dt)
			var d int
			if d, st, err = Grow(p, st, now, n, lim); err != nil {
				return fail(err)
			}
			fmt.Fprintf(&out, "t=%-5s grow n=%-3d                               -> desired=%d\n", now.Sub(t0), n, d)
		case "step", "repeat", "poke":
			n, rest := 1, fields[1:]
			if fields[0] == "repeat" {
				if len(rest) < 2 {
					return fail(fmt.Errorf("repeat wants a count and a duration"))
				}
				if n, err = strconv.Atoi(rest[0]); err != nil {
					return fail(err)
				}
				rest = rest[1:]
			}
			if len(rest) < 1 {
				return fail(fmt.Errorf("%s wants a duration", fields[0]))
			}
			dt, err := time.ParseDuration(rest[0])
			if err != nil {
				return fail(err)
			}
			obs, follow, err := parseObservation(rest[1:])
			if err != nil {
				return fail(err)
			}
			obs.Limits = lim
			for range n {
				now = now.Add(dt)
				if fields[0] == "poke" {
					var d int
					if d, st, err = Poke(st, now, lim); err != nil {
						return fail(err)
					}
					fmt.Fprintf(&out, "t=%-5s poke                                     -> desired=%d\n", now.Sub(t0), d)
					continue
				}
				if follow {
					obs.Ready = st.Desired()
				}
				var d Decision
				if d, st, err = decide(p, st, now, obs); err != nil {
					return fail(err)
				}
				mark := ""
				if obs.Expedited {
					mark = " [expedited]"
				}
				fmt.Fprintf(&out, "t=%-5s w=%-4d f=%-3d a=%-4d c=%-4d r=%-3d -> desired=%-3d panic=%-5v stable=%.2f burst=%.2f %q%s\n",
					now.Sub(t0), obs.Waiting, obs.InFlight, obs.Arrivals, obs.Completions, obs.Ready,
					d.Desired, d.Panic, d.StableConcurrency, d.PanicConcurrency, d.Reason, mark)
			}
		default:
			return fail(fmt.Errorf("unknown directive %q", fields[0]))
		}
	}
	return out.String(), sc.Err()
}

func keyValues(fields []string, set func(k, v string) error) error {
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			v = "true"
		}
		if err := set(k, v); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
	}
	return nil
}

func setParams(p *Params, fields []string) error {
	return keyValues(fields, func(k, v string) error {
		var err error
		switch k {
		case "stable":
			p.StableWindow, err = time.ParseDuration(v)
		case "panic":
			p.PanicWindow, err = time.ParseDuration(v)
		case "grace":
			p.ScaleToZeroGrace, err = time.ParseDuration(v)
		case "bucket":
			p.BucketWidth, err = time.ParseDuration(v)
		case "up":
			p.MaxScaleUpRate, err = strconv.ParseFloat(v, 64)
		case "down":
			p.MaxScaleDownRate, err = strconv.ParseFloat(v, 64)
		case "target":
			p.TargetUtilization, err = strconv.ParseFloat(v, 64)
		case "threshold":
			p.PanicThreshold, err = strconv.ParseFloat(v, 64)
		default:
			err = fmt.Errorf("unknown param")
		}
		return err
	})
}

func setLimits(l *Limits, fields []string) error {
	return keyValues(fields, func(k, v string) error {
		n, err := strconv.Atoi(v)
		switch k {
		case "concurrency":
			l.Concurrency = n
		case "min":
			l.MinInstances = n
		case "max":
			l.MaxInstances = n
		default:
			err = fmt.Errorf("unknown limit")
		}
		return err
	})
}

func parseObservation(fields []string) (Observation, bool, error) {
	var o Observation
	follow := false
	err := keyValues(fields, func(k, v string) error {
		if k == "draining" {
			o.Draining = v == "true"
			return nil
		}
		if k == "expedited" {
			o.Expedited = v == "true"
			return nil
		}
		if k == "ready" && v == "follow" {
			follow = true
			return nil
		}
		n, err := strconv.Atoi(v)
		switch k {
		case "waiting":
			o.Waiting = n
		case "inflight":
			o.InFlight = n
		case "arrivals":
			o.Arrivals = n
		case "completions":
			o.Completions = n
		case "ready":
			o.Ready = n
		default:
			err = fmt.Errorf("unknown field")
		}
		return err
	})
	return o, follow, err
}

// diff lists the first lines that differ.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 5; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d\n  want: %s\n  got:  %s\n", i+1, wl, gl)
			shown++
		}
	}
	return b.String()
}
