/* convtutor: stands in for pydata-sphinx-theme 0.17.1's _static/scripts/fontawesome.js, a file of
   the same name in html_static_path (Sphinx copies it over the theme's). The theme's script is
   1.5 MB (Font Awesome Free with every icon as SVG, which turns each <i class="fa-..."> into an
   inline SVG) and alone breaks the book's 2 MB first-visit budget. The theme's own stylesheet
   already draws the same icons with the Font Awesome webfont the theme ships, which is how they
   show here. Upstream: pydata/pydata-sphinx-theme#2379 (open); PR #2494 makes the theme do the
   same. tests/test_build_workarounds.py fails when the theme stops loading this file or stops
   drawing its icons with the webfont; tests/test_browser.py checks every icon shown has a glyph. */
