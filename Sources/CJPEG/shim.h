// libjpeg's header needs stdio's FILE declared first.
#include <stdio.h>
#include <jpeglib.h>
