"""GPS and footage in: GPS readers (GPX, NMEA/BlackVue, GoPro GPMF, CSV, JPEG EXIF), track
cleaning, clock sync, video decoding, frame sampling by distance and capture quality."""
