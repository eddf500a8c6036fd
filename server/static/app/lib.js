// The one place that imports the vendored UI library (Preact + htm, see static/vendor/README.md).
export {
  html, render, useState, useEffect, useRef, useMemo, useCallback,
} from "/static/vendor/preact-htm/standalone.module.js";
