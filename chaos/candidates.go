package chaos

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/leaderkit/leaderkit/chaos/internal/wire"
	"github.com/leaderkit/leaderkit/internal/testserver"
)

// BuildCandidate builds the candidate command (chaos/internal/candidate)
// into dir with `go build` and returns its path. It is built without the
// race detector whatever the test binary has: candidates are the system
// under test, not the harness.
func BuildCandidate(dir string) (string, error) {
	root, err := testserver.RepoRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "candidate")
	cmd := exec.Command("go", "build", "-o", bin, "./chaos/internal/candidate")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("chaos: building the candidate: %w\n%s", err, out)
	}
	return bin, nil
}

// proc is one running candidate process.
type proc struct {
	id string
	*testserver.Child
}

// startCandidate starts bin with cfg, its output appended to logPath. On
// Linux the kernel kills it if the harness dies.
func startCandidate(bin string, cfg wire.Config, logPath string) (*proc, error) {
	arg, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	child, err := testserver.StartChild(exec.Command(bin, string(arg)), logPath)
	if err != nil {
		return nil, fmt.Errorf("starting candidate %s: %w", cfg.Identity, err)
	}
	return &proc{id: cfg.Identity, Child: child}, nil
}

// stop ends the process: SIGCONT (in case it is paused) and SIGTERM, then
// SIGKILL after grace; it returns once the process has been reaped and
// reports whether it needed SIGKILL.
func (p *proc) stop(grace time.Duration) (killed bool) {
	p.Signal(syscall.SIGCONT)
	p.Signal(syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.Done():
	case <-t.C:
		p.Signal(syscall.SIGKILL)
		<-p.Done()
		killed = true
	}
	return killed
}
