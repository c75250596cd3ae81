/* convtutor: replaces pydata-sphinx-theme's 1.5 MB Font Awesome SVG bundle. The icons are
   drawn by the theme's stylesheet with the Font Awesome Free webfont (subset in
   ../vendor/fontawesome/webfonts/, fonts under the SIL OFL 1.1, icons CC BY 4.0,
   https://fontawesome.com/license/free). Written by scripts/vendor_static.py. */
