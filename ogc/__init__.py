"""OGC API – Features (Part 1 Core, Part 2 CRS) over the community's data, under /ogc/."""
