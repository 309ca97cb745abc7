// Package data loads the image sets latent trains on — MNIST, Fashion-MNIST,
// KMNIST and EMNIST from IDX files, or any folder of PNG, JPEG and GIF
// images — and yields deterministic training batches from them.
//
// # IDX sets
//
// A named set ("mnist", "fashion-mnist", "kmnist", "emnist-<split>") or a
// folder holding the four standard MNIST file names is read from IDX files,
// gzipped or raw, with its own train/test split. EMNIST images, stored
// transposed, are transposed back to stand upright; an EMNIST mapping file
// beside them names the classes. Before any data is read, each file's header
// is checked against the file's size (a raw file must hold exactly the data
// it claims, a gzipped one at most 1032 times its own size, deflate's largest
// ratio) and the image count against the label count, so a corrupt header
// costs no large allocation. Fetch downloads the sets published as separate
// files and checks their checksums, with timeouts on connecting, on the
// response headers and on each wait for more of a file.
//
// # The generated set
//
// "shapes" is not read from files: package shapes draws its 3,000 RGB
// 32×32 images (a flat-coloured circle or square on a flat background,
// the shape its class) from a fixed seed, and Options.TestFraction and
// Options.Seed split it as they split an image folder; ShapesSplit gives
// each image's index, so its factors can be looked up.
//
// # Image folders
//
// Any other folder is read as a folder of images, as torchvision's
// ImageFolder reads one:
//
//   - PNG, JPEG and GIF files (by extension, any case) are read recursively,
//     in sorted path order; other files are skipped and counted in
//     Set.Skipped, and folders whose names start with "." are not entered.
//   - Symbolic links to files and folders are followed; a folder reached
//     again, through a link loop or a second link, is not read again. Named
//     pipes, sockets and devices are never opened: they are skipped and
//     counted in Set.Skipped.
//   - The name of the immediate subfolder holding an image is its class.
//     Images directly in the folder itself belong to the class "", which
//     sorts first. Labels index the sorted class names; only classes with
//     at least one image are kept.
//   - Images are converted to Options.Channels channels (grey by ITU-R 601
//     luma; transparent pixels are composited over black) and, when
//     Options.ImageSize is set, resized to ImageSize×ImageSize (stretched,
//     Catmull-Rom); otherwise all images must be the same size.
//   - A file that does not decode, or an image of more than 2^25 pixels, is
//     an error naming it, or with Options.SkipBad is skipped and counted in
//     Set.BadSkipped.
//   - A fraction Options.TestFraction of the images, chosen by
//     Options.Seed (at least one when there are two or more), forms the
//     test split; both splits keep path order.
//
// # Batches
//
// A Batcher yields the batch of any training step as a pure function of
// its seed and the step, so an interrupted run resumes with exactly the
// batches it would have seen.
package data
