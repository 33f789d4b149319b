package pgserver

import (
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
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
	if a == nil {
		return nil
	}
	for parent := filepath.Dir(dir); ; parent = filepath.Dir(parent) {
		info, err := os.Stat(parent)
		if err != nil {
			return err
		}
		if !a.canSearch(info) {
			return fmt.Errorf("PostgreSQL runs as user %s, which cannot enter %s (mode %v): allow it (chmod o+x %s) or put the data directory elsewhere",
				a.name, parent, info.Mode().Perm(), parent)
		}
		if parent == filepath.Dir(parent) {
			return nil
		}
	}
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
