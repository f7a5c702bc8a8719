// The photo library: consent, formats, index, reference selection, prompt resolution (in progress).
