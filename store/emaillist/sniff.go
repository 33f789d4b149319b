package emaillist

import (
	"bytes"
)

// FileType names a kind of file that uploads come as but lists cannot be read from.
type FileType string

const (
	FilePDF             FileType = "pdf"
	FileImage           FileType = "image"
	FileXLS             FileType = "xls"     // Excel 97–2003, or any workbook with a password: both are OLE2 containers
	FileXLSB            FileType = "xlsb"    // Excel binary workbook
	FileOpenDocument    FileType = "odf"     // LibreOffice or OpenOffice document or spreadsheet
	FileNumbers         FileType = "numbers" // Apple Numbers or Pages
	FileWord            FileType = "docx"
	FilePowerPoint      FileType = "pptx"
	FileZip             FileType = "zip" // an archive that holds no workbook
	FileArchive         FileType = "archive"
	FileRTF             FileType = "rtf"
	FileDamagedWorkbook FileType = "damaged-xlsx"
)

func (t FileType) description() string {
	switch t {
	case FilePDF:
		return "a PDF document"
	case FileImage:
		return "an image"
	case FileXLS:
		return "an Excel 97-2003 workbook (.xls) or a password-protected workbook"
	case FileXLSB:
		return "an Excel binary workbook (.xlsb)"
	case FileOpenDocument:
		return "a LibreOffice or OpenOffice document (.ods, .odt)"
	case FileNumbers:
		return "an Apple Numbers or Pages document"
	case FileWord:
		return "a Word document (.docx)"
	case FilePowerPoint:
		return "a PowerPoint presentation (.pptx)"
	case FileZip:
		return "a zip archive without a workbook in it"
	case FileArchive:
		return "a compressed archive (gzip, 7z or RAR)"
	case FileRTF:
		return "a rich-text document (.rtf)"
	case FileDamagedWorkbook:
		return "an Excel workbook (.xlsx) that cannot be read"
	}
	return "a binary file"
}

func (t FileType) advice() string {
	switch t {
	case FileXLS, FileXLSB, FileOpenDocument, FileNumbers, FileDamagedWorkbook:
		return "open it and save it as an Excel Workbook (.xlsx) or as CSV, without a password"
	}
	return "export the list as an Excel Workbook (.xlsx) or as CSV"
}

// Signatures at the start of files lists do not come in. Text encodings are told apart later;
// a NUL byte in what is left makes it not text.
var magics = []struct {
	prefix string
	at     int
	t      FileType
}{
	{"%PDF-", 0, FilePDF},
	{"\x89PNG\r\n\x1a\n", 0, FileImage},
	{"\xFF\xD8\xFF", 0, FileImage},
	{"GIF87a", 0, FileImage},
	{"GIF89a", 0, FileImage},
	{"WEBP", 8, FileImage},
	{"ftypheic", 4, FileImage},
	{"II*\x00", 0, FileImage},
	{"MM\x00*", 0, FileImage},
	{"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 0, FileXLS},
	{"\x1F\x8B", 0, FileArchive},
	{"7z\xBC\xAF\x27\x1C", 0, FileArchive},
	{"Rar!\x1A\x07", 0, FileArchive},
	{"{\\rtf", 0, FileRTF},
}

// zipMagic starts a zip archive: a local file header, or the end record of an empty archive.
var zipMagics = [][]byte{[]byte("PK\x03\x04"), []byte("PK\x05\x06")}

// binaryType reports what the first bytes of an upload say it is: "" for possible text,
// FileZip for any zip archive (workbooks among them).
func binaryType(head []byte) FileType {
	for _, m := range zipMagics {
		if bytes.HasPrefix(head, m) {
			return FileZip
		}
	}
	for _, m := range magics {
		if len(head) >= m.at && bytes.HasPrefix(head[m.at:], []byte(m.prefix)) {
			return m.t
		}
	}
	return ""
}
