"""The machinery behind ``declarations.columnar``: value kinds (``kinds``), a mapping
compiled into a plan of JSON fragments (``plan``), a chunk's rows evaluated a column at a
time (``evaluate``), and the declarations assembled from them (``assemble``)."""
