// Package bundle turns a function's package into a root filesystem folder that
// an instance of either track can run the function from.
//
// A root filesystem package is checked and used in place. An OCI image layout
// is resolved (index.json, the manifest chosen by its
// org.opencontainers.image.ref.name annotation, the image config), every blob
// it reads is checked against its sha256 digest, and the image's layers are
// unpacked once into a cache folder shared by all instance processes of the
// machine: Prepare unpacks into a temporary folder beside the cache entry
// under a file lock and renames it into place, so concurrent callers, in one
// process or several, unpack an image once and all get the same folder.
// Entries are extracted with umoci's layer extractor, which applies OCI
// whiteouts, hard links, ownership and permissions as the image spec says;
// entries whose path escapes the root are refused.
//
// BuildLayout writes a minimal OCI image layout from a set of files, for tests
// and tools that need an image on a machine that cannot pull one.
//
// The package is Unix-only (file locks and umoci's extractor). It must never
// import NATS, another services/ package except registry (for its Package
// type), or wavelet/.
package bundle
