package licensing

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// ETag returns the strong entity tag of the document this keyring would sign
// for a license at changedAt, so a server answers 304 without signing. It
// covers the current key id as well: after a rotation every instance fetches
// a document signed by the new key instead of keeping one whose key will
// eventually leave the key set.
func (k *Keyring) ETag(licenseID string, changedAt time.Time) string {
	buf := make([]byte, 0, 128)
	buf = append(buf, k.currentKID...)
	buf = append(buf, 0)
	buf = append(buf, licenseID...)
	buf = append(buf, 0)
	buf = binary.BigEndian.AppendUint64(buf, uint64(changedAt.UnixNano()))
	sum := sha256.Sum256(buf)

	const tagBytes = 18 // 144 bits: a multiple of 3, so base64url needs no padding
	var tag [1 + tagBytes*4/3 + 1]byte
	tag[0], tag[len(tag)-1] = '"', '"'
	base64.RawURLEncoding.Encode(tag[1:len(tag)-1], sum[:tagBytes])
	return string(tag[:])
}
