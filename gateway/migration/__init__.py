"""The migration toolkit: record a vendor's traffic, import a box office, replay as another vendor.

Every vendor detail comes from the dialects' ``client.py`` modules (paths, paging, parsing
to neutral dicts); this package only composes them. See README "Migrating between vendors".
"""
