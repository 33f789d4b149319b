package pgserver

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// debianServerDirs is where Debian and Ubuntu install one directory of server
// binaries per major version, none of them on PATH.
const debianServerDirs = "/usr/lib/postgresql/*/bin"

// ErrNoBinaries means no PostgreSQL server binaries were found on this machine.
var ErrNoBinaries = errors.New("PostgreSQL server binaries (postgres, initdb) not found on PATH or in " + debianServerDirs +
	": install them (Debian/Ubuntu: apt-get install postgresql) or set DATABASE_URL to use an existing server")

// FindBinaries returns the directory holding the postgres and initdb binaries:
// the one postgres on PATH resolves to, else the highest version under
// /usr/lib/postgresql. The error wraps ErrNoBinaries when there is none.
func FindBinaries() (binDir string, err error) {
	if path, err := exec.LookPath("postgres"); err == nil {
		// Resolve symlinks: initdb locates postgres beside its own real path,
		// so the two must come from one directory.
		if real, err := filepath.EvalSymlinks(path); err == nil && hasServerBinaries(filepath.Dir(real)) {
			return filepath.Dir(real), nil
		}
	}
	if dir, ok := newestServerBinDir(debianServerDirs); ok {
		return dir, nil
	}
	return "", ErrNoBinaries
}

// newestServerBinDir picks, among the directories matching pattern (whose
// parent is named after the major version), the highest version that holds
// the server binaries.
func newestServerBinDir(pattern string) (string, bool) {
	dirs, _ := filepath.Glob(pattern) // the pattern is constant, so never malformed
	slices.SortFunc(dirs, func(a, b string) int {
		return slices.Compare(versionOf(b), versionOf(a)) // highest first; "10" beats "9.6"
	})
	for _, dir := range dirs {
		if hasServerBinaries(dir) {
			return dir, true
		}
	}
	return "", false
}

// versionOf reads the version from a ".../<version>/bin" path; parts that are
// not numbers sort lowest.
func versionOf(binDir string) []int {
	var version []int
	for part := range strings.SplitSeq(filepath.Base(filepath.Dir(binDir)), ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			n = -1
		}
		version = append(version, n)
	}
	return version
}

func hasServerBinaries(dir string) bool {
	for _, name := range []string{"postgres", "initdb"} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil || !info.Mode().IsRegular() || info.Mode().Perm()&0o111 == 0 {
			return false
		}
	}
	return true
}
