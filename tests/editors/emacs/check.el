;;; check.el --- headless Emacs + Eglot check of driftls  -*- lexical-binding: t -*-
;; Run by tests/editors/emacs/run.sh:
;;   DRIFTLS_BIN=... DRIFTLS_EMACS_CONFIG=editors/emacs/driftls-eglot.el PROJECT=... BASE_DIGEST=... \
;;     emacs --batch -Q -l tests/editors/emacs/check.el
;; Exit 0 when every check passed, 1 otherwise.

(require 'package)
(package-initialize)                    ; Debian's elpa-eglot lives in site-lisp/elpa
(require 'cl-lib)
(require 'subr-x)
(require 'flymake)

(defvar check-failed nil)
(defvar check-wait 30)
(defvar check-raw-diags (make-hash-table :test #'equal) "URI -> last published diagnostics.")

(defun check (name ok &optional detail)
  (unless ok (setq check-failed t))
  (princ (format "  [%s] %s%s\n" (if ok "PASS" "FAIL") name
                 (if detail (format " -- %s" detail) "")))
  ok)

(defun check-wait-for (pred &optional secs)
  (let ((deadline (+ (float-time) (or secs check-wait))))
    (while (and (not (funcall pred)) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    (funcall pred)))

;; The shipped configuration, with the server by absolute path.
(load (expand-file-name (getenv "DRIFTLS_EMACS_CONFIG")) nil t)
(setq driftls-eglot-command (list (getenv "DRIFTLS_BIN") "lsp" "--stdio"))

;; Emacs 28 has neither mode; users get them from the dockerfile-mode and
;; docker-compose-mode packages. Stand-ins with the same names:
(unless (fboundp 'dockerfile-mode)
  (define-derived-mode dockerfile-mode prog-mode "Dockerfile"))
(unless (fboundp 'docker-compose-mode)
  (define-derived-mode docker-compose-mode prog-mode "Compose"))
(add-to-list 'auto-mode-alist '("/Dockerfile\\'" . dockerfile-mode))
(add-to-list 'auto-mode-alist '("/\\(docker-\\)?compose\\(\\.[^/]*\\)?\\.ya?ml\\'" . docker-compose-mode))

;; The project's settings the way a user sets them (one rule off; checked below).
(setq-default eglot-workspace-configuration
              '(:driftls (:rules (:package-unpinned "off"))))

(advice-add 'eglot-handle-notification :before
            (lambda (_server method &rest params)
              (when (eq method 'textDocument/publishDiagnostics)
                (puthash (plist-get params :uri) (plist-get params :diagnostics) check-raw-diags))))

(defun check-codes ()
  "Codes of the diagnostics published for the current buffer."
  (let ((diags (gethash (eglot--path-to-uri buffer-file-name) check-raw-diags)))
    (sort (delete-dups (mapcar (lambda (d) (format "%s" (plist-get d :code))) (append diags nil)))
          #'string<)))

(defun check-flymake-texts ()
  (mapcar #'flymake-diagnostic-text (flymake-diagnostics)))

(defun check-open (name)
  (find-file (expand-file-name name (getenv "PROJECT")))
  (unless (eglot-current-server)
    (apply #'eglot (eglot--guess-contact)))
  (check-wait-for (lambda () (eglot-current-server)))
  (flymake-start))

(condition-case err
    (let ((t0 (float-time)))
      ;; 1. Dockerfile
      (check-open "Dockerfile")
      (check "Dockerfile: Eglot connected" (eglot-current-server) (format "%s" major-mode))
      (check "Dockerfile diagnostics: volume-inherited, volume-write-after-declare"
             (check-wait-for (lambda () (and (member "volume-inherited" (check-codes))
                                             (member "volume-write-after-declare" (check-codes)))))
             (string-join (check-codes) ","))
      (check "settings reached the server (package-unpinned off)"
             (not (member "package-unpinned" (check-codes))))
      (check "Flymake shows them"
             (check-wait-for (lambda () (flymake-diagnostics)) 10)
             (format "%d in Flymake" (length (flymake-diagnostics))))
      ;; 2. Hover on the FROM image (what eldoc shows)
      (goto-char (point-min))
      (forward-line 1)
      (forward-char 10)
      (let* ((hover (jsonrpc-request (eglot-current-server) :textDocument/hover
                                     (eglot--TextDocumentPositionParams)))
             (contents (plist-get hover :contents))
             (text (if (stringp contents) contents (plist-get contents :value))))
        (check "hover shows VOLUME [\"/usr/app\"]"
               (and text (string-match-p (regexp-quote "VOLUME [\"/usr/app\"]") text))
               (and text (replace-regexp-in-string "\n" " " (substring text 0 (min 80 (length text)))))))
      ;; 3. Quick fix through eglot-code-actions, picking "Pin to sha256:…"
      (let* ((before (buffer-substring-no-properties (line-beginning-position) (line-end-position)))
             (picked nil)
             (expected (replace-regexp-in-string
                        "dbt-core:1\\.4\\.1" (concat "dbt-core:1.4.1@" (getenv "BASE_DIGEST")) before t t)))
        (cl-letf (((symbol-function 'completing-read)
                   (lambda (_prompt collection &rest _)
                     (setq picked (cl-find-if (lambda (c) (string-prefix-p "Pin to sha256" (car c)))
                                              collection))
                     (car picked))))
          (let ((last-nonmenu-event 'key))  ; not a mouse event: eglot uses completing-read
            (eglot-code-actions (point) (point) nil t)))
        (let ((after (buffer-substring-no-properties (line-beginning-position) (line-end-position))))
          (check "code action picked" picked (car picked))
          (check "code action changed the buffer to the pinned image" (equal after expected) after)))
      ;; 4. Compose file
      (check-open "docker-compose.yml")
      (check "compose: Eglot connected" (eglot-current-server) (format "%s" major-mode))
      (check "compose diagnostics: compose-anonymous-volume"
             (check-wait-for (lambda () (member "compose-anonymous-volume" (check-codes))))
             (string-join (check-codes) ","))
      (princ (format "  elapsed %.2fs\n" (- (float-time) t0))))
  (error (check "no error" nil (error-message-string err))))

(ignore-errors
  (maphash (lambda (_project servers) (dolist (s servers) (ignore-errors (eglot-shutdown s))))
           eglot--servers-by-project))
(dolist (b (buffer-list)) (with-current-buffer b (set-buffer-modified-p nil)))
(kill-emacs (if check-failed 1 0))
