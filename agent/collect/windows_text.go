package collect

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf16"

	"github.com/tandemhq/tandem/agentproto"
)

// winHardware is what CIM (WMI) says of a Windows machine.
type winHardware struct {
	Manufacturer, Model, Serial string
	CPUModel                    string
	Cores                       int
	Disks                       []agentproto.Disk
}

// winHardwareScript prints, as one JSON object, the CIM classes the
// inventory reads: computer system, BIOS, processors and disk drives.
// PowerShell 5.1 turns a one-element array into an object when it
// stands alone, so the lists are wrapped in @() and the parser also
// accepts an object where it expects a list.
const winHardwareScript = `$ErrorActionPreference = 'SilentlyContinue'
[Console]::OutputEncoding = [System.Text.Encoding]::UTF8
$cs = Get-CimInstance Win32_ComputerSystem
$bios = Get-CimInstance Win32_BIOS
[pscustomobject]@{
  Manufacturer = $cs.Manufacturer
  Model = $cs.Model
  Serial = $bios.SerialNumber
  Processors = @(Get-CimInstance Win32_Processor | Select-Object Name, NumberOfCores)
  Disks = @(Get-CimInstance Win32_DiskDrive | Select-Object DeviceID, Model, Size)
} | ConvertTo-Json -Depth 4 -Compress`

// parseWindowsHardware reads the output of winHardwareScript.
func parseWindowsHardware(data []byte) (winHardware, error) {
	var doc struct {
		Manufacturer, Model, Serial string
		Processors, Disks           json.RawMessage
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return winHardware{}, fmt.Errorf("CIM hardware: %w", err)
	}
	hw := winHardware{
		Manufacturer: hardwareValue(doc.Manufacturer),
		Model:        hardwareValue(doc.Model),
		Serial:       hardwareValue(doc.Serial),
	}
	var cpus []struct {
		Name          string
		NumberOfCores int
	}
	if err := jsonList(doc.Processors, &cpus); err == nil {
		for _, c := range cpus {
			if hw.CPUModel == "" {
				hw.CPUModel = strings.Join(strings.Fields(c.Name), " ")
			}
			hw.Cores += max(c.NumberOfCores, 0)
		}
	}
	var disks []struct {
		DeviceID, Model string
		Size            uint64
	}
	if err := jsonList(doc.Disks, &disks); err == nil {
		for _, d := range disks {
			if d.DeviceID == "" {
				continue
			}
			hw.Disks = append(hw.Disks, agentproto.Disk{Name: d.DeviceID, Model: strings.TrimSpace(d.Model), SizeBytes: d.Size})
		}
	}
	sortDisks(hw.Disks)
	return hw, nil
}

// jsonList decodes a JSON array, or a lone object as a one-element one,
// into the slice list points to.
func jsonList[T any](raw json.RawMessage, list *[]T) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw, list); err == nil {
		return nil
	}
	var one T
	if err := json.Unmarshal(raw, &one); err != nil {
		return err
	}
	*list = []T{one}
	return nil
}

// winUpdateScript lists the updates Windows Update offers and has not
// installed, one "title<TAB>categories" line each. It goes through the
// Windows Update Agent's COM API from PowerShell because calling COM from
// Go without cgo means a dependency this build does not carry.
const winUpdateScript = `$ErrorActionPreference = 'Stop'
[Console]::OutputEncoding = [System.Text.Encoding]::UTF8
(New-Object -ComObject Microsoft.Update.Session).CreateUpdateSearcher().Search('IsInstalled=0 and IsHidden=0').Updates |
  ForEach-Object { $_.Title + "` + "`t" + `" + (($_.Categories | ForEach-Object { $_.Name }) -join ',') }`

var kbNumber = regexp.MustCompile(`\bKB\d{6,8}\b`)

// parseWindowsUpdates reads the output of winUpdateScript. The version
// of an update is its knowledge-base number when the title has one
// ("2024-01 Cumulative Update ... (KB5034441)"), which is what admins
// search for; it is a security update when one of its categories is
// "Security Updates".
func parseWindowsUpdates(text string) []agentproto.PendingUpdate {
	var list []agentproto.PendingUpdate
	for line := range strings.Lines(text) {
		title, categories, _ := strings.Cut(strings.TrimRight(line, "\r\n"), "\t")
		title = strings.TrimSpace(title)
		if title == "" {
			continue
		}
		list = append(list, agentproto.PendingUpdate{
			Name:     title,
			Version:  kbNumber.FindString(title),
			Security: strings.Contains(categories, "Security"),
		})
	}
	return sortUpdates(list)
}

// windowsProductName corrects the product name Windows keeps in the
// registry: Windows 11 still says "Windows 10 Pro" there, and only its
// build number (22000 and later) tells it apart.
func windowsProductName(product string, build int) string {
	product = strings.TrimSpace(product)
	if build >= 22000 && strings.HasPrefix(product, "Windows 10") {
		return "Windows 11" + strings.TrimPrefix(product, "Windows 10")
	}
	return product
}

// parsePageFileInfo reads the page files' size and use from the
// SYSTEM_PAGEFILE_INFORMATION records NtQuerySystemInformation returns: a
// chain of {NextEntryOffset, TotalSize, TotalInUse, PeakUsage uint32,
// name}, sizes in pages. The page files are Windows' swap.
func parsePageFileInfo(b []byte, pageSize uint64) (total, used uint64) {
	for off := 0; off >= 0 && off+16 <= len(b); {
		next := binary.LittleEndian.Uint32(b[off:])
		total += uint64(binary.LittleEndian.Uint32(b[off+4:])) * pageSize
		used += uint64(binary.LittleEndian.Uint32(b[off+8:])) * pageSize
		if next == 0 || int(next) > len(b)-off {
			break
		}
		off += int(next)
	}
	return total, min(used, total)
}

// encodePowerShell encodes a script for powershell -EncodedCommand
// (base64 of UTF-16LE), which passes a multi-line script through the
// command line without any quoting to get wrong.
func encodePowerShell(script string) string {
	units := utf16.Encode([]rune(script))
	b := make([]byte, 2*len(units))
	for i, u := range units {
		binary.LittleEndian.PutUint16(b[2*i:], u)
	}
	return base64.StdEncoding.EncodeToString(b)
}
