package builtin

import "syscall"

// madvHugepage asks for transparent huge pages (MADV_HUGEPAGE).
const madvHugepage = 14

// newResident maps size bytes of anonymous memory and asks for transparent
// huge pages: once written, one fault per 2 MiB instead of per 4 KiB (on a
// virtual machine a 4 KiB fault can cost microseconds, so faulting in a
// function's hundreds of MiB page by page costs a second of CPU). Huge
// pages are a hint: where they are not available the mapping is faulted in
// page by page.
func newResident(size int) ([]byte, func(), error) {
	b, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return nil, nil, err
	}
	_ = syscall.Madvise(b, madvHugepage)
	return b, func() { _ = syscall.Munmap(b) }, nil
}
