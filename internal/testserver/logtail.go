package testserver

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// logTailMaxBytes is how much of a log's end logTail reads.
const logTailMaxBytes = 256 << 10

// logTail returns the last n lines of the file at path, reading at most its
// last 256 KiB.
func logTail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > logTailMaxBytes {
		if _, err := f.Seek(fi.Size()-logTailMaxBytes, io.SeekStart); err != nil {
			return fmt.Sprintf("(reading log: %v)", err)
		}
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return fmt.Sprintf("(reading log: %v)", err)
	}
	return lastLines(string(data), n)
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
