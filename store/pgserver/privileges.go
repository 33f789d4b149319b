package pgserver

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// serverAccount is the unprivileged account the server runs as when we are
// root, since PostgreSQL refuses to run as root.
type serverAccount struct {
	name     string
	uid, gid uint32
}

// dropPrivileges returns the account to run initdb and postgres as: nil when
// we are not root, else "postgres" if it exists, else "nobody".
func dropPrivileges() (*serverAccount, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	var lookupErrs []error
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			lookupErrs = append(lookupErrs, err)
			continue
		}
		uid, err := strconv.ParseUint(u.Uid, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("user %s has uid %q: %w", name, u.Uid, err)
		}
		gid, err := strconv.ParseUint(u.Gid, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("user %s has gid %q: %w", name, u.Gid, err)
		}
		return &serverAccount{name: name, uid: uint32(uid), gid: uint32(gid)}, nil
	}
	return nil, fmt.Errorf("PostgreSQL cannot run as root and neither user postgres nor nobody exists (%v): create one or run as an ordinary user", lookupErrs)
}

// credential makes a child process run as the account; no supplementary
// groups are kept, so the account's primary group is the only group.
func (a *serverAccount) credential() *syscall.Credential {
	if a == nil {
		return nil
	}
	return &syscall.Credential{Uid: a.uid, Gid: a.gid}
}

// checkTraversable fails, naming the directory, when the account cannot enter
// one of dir's ancestors. We do not chmod them: they belong to the user.
func (a *serverAccount) checkTraversable(dir string) error {
	closed, err := a.closedAncestor(dir)
	if err != nil || closed == nil {
		return err
	}
	return fmt.Errorf("PostgreSQL runs as user %s, which cannot enter %s (mode %v): allow it (chmod o+x %s) or put the data directory elsewhere",
		a.name, closed.path, closed.mode, closed.path)
}

// closedDir is an ancestor the server account cannot enter.
type closedDir struct {
	path string
	mode fs.FileMode
}

// closedAncestor returns the nearest ancestor of dir that the account
// cannot enter, or nil when it can reach dir. Ancestors that do not exist
// yet will be created enterable.
func (a *serverAccount) closedAncestor(dir string) (*closedDir, error) {
	if a == nil {
		return nil, nil
	}
	for parent := filepath.Dir(dir); ; parent = filepath.Dir(parent) {
		info, err := os.Stat(parent)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, err
		case !a.canSearch(info):
			return &closedDir{path: parent, mode: info.Mode().Perm()}, nil
		}
		if parent == filepath.Dir(parent) {
			return nil, nil
		}
	}
}

// clustersDir is where, as root, a cluster lives whose own data directory
// the server account cannot reach; under the temporary directory when it
// cannot be made.
const clustersDir = "/var/lib/seatplan/clusters"

// Locate returns the directory the cluster meant for dataDir lives in:
// dataDir itself, unless we are root and the account the server runs as
// cannot enter one of its parents (a clone in a root home of mode 700, or
// under mktemp -d). Then it is a directory of that cluster's own under
// /var/lib/seatplan/clusters, named after dataDir's absolute path, so every
// run for the same dataDir finds the same cluster again; why says why, for
// the operator. Nothing is created but the clusters directory.
func Locate(dataDir string) (dir, why string, err error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return "", "", err
	}
	account, err := dropPrivileges()
	if err != nil {
		return "", "", err
	}
	closed, err := account.closedAncestor(abs)
	if err != nil || closed == nil {
		return abs, "", err
	}
	base, err := enterableDir(clustersDir)
	if err != nil {
		if base, err = enterableDir(filepath.Join(os.TempDir(), "seatplan-clusters")); err != nil {
			return "", "", fmt.Errorf("make a directory user %s can reach for the cluster of %s: %w", account.name, abs, err)
		}
	}
	sum := sha256.Sum256([]byte(abs))
	name := strings.Trim(strings.Map(func(r rune) rune {
		if r == '/' || r == os.PathSeparator {
			return '_'
		}
		return r
	}, abs), "_")
	if len(name) > 40 {
		name = name[len(name)-40:]
	}
	why = fmt.Sprintf("user %s, which PostgreSQL runs as, cannot enter %s (mode %v)", account.name, closed.path, closed.mode)
	return filepath.Join(base, fmt.Sprintf("%s-%x", name, sum[:6])), why, nil
}

// enterableDir makes dir and its missing parents, each enterable by
// everyone whatever the umask (the clusters inside stay private).
func enterableDir(dir string) (string, error) {
	if info, err := os.Stat(dir); err == nil && info.IsDir() && info.Mode().Perm()&0o001 != 0 {
		return dir, nil
	}
	if parent := filepath.Dir(dir); parent != dir {
		if _, err := enterableDir(parent); err != nil {
			return "", err
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", err
	}
	return dir, os.Chmod(dir, 0o755)
}

// canSearch applies the Unix permission classes: the owner bits apply to the
// owner even when the group or other bits would allow more.
func (a *serverAccount) canSearch(info fs.FileInfo) bool {
	perm := info.Mode().Perm()
	st, ok := info.Sys().(*syscall.Stat_t)
	switch {
	case !ok:
		return true
	case st.Uid == a.uid:
		return perm&0o100 != 0
	case st.Gid == a.gid:
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}

// own gives the account dir and, if dir belonged to someone else, everything
// in it: postgres insists on owning its data directory.
func (a *serverAccount) own(dir string) error {
	if a == nil {
		return nil
	}
	info, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if st, ok := info.Sys().(*syscall.Stat_t); ok && st.Uid == a.uid && st.Gid == a.gid {
		return nil
	}
	err = filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, int(a.uid), int(a.gid))
	})
	if err != nil {
		return fmt.Errorf("give %s to user %s: %w", dir, a.name, err)
	}
	return nil
}

// writeFile writes a file into the data directory that the server can read.
func (a *serverAccount) writeFile(path string, data []byte) error {
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return err
	}
	if a == nil {
		return nil
	}
	return os.Chown(path, int(a.uid), int(a.gid))
}
