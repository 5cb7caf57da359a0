;;; driftls-eglot.el --- driftls for Eglot  -*- lexical-binding: t -*-

;; Registers driftls (Dockerfiles, compose files, deploy scripts) with Eglot: Emacs 29+, or
;; Emacs 28 with the `eglot' package (Debian: elpa-eglot). Load it from your init file:
;;
;;   (load "/path/to/driftls/editors/emacs/driftls-eglot.el")
;;   (add-hook 'dockerfile-mode-hook #'eglot-ensure)       ; package dockerfile-mode
;;   (add-hook 'docker-compose-mode-hook #'eglot-ensure)   ; package docker-compose-mode
;;
;; Eglot runs one server per buffer, so the modes below get driftls instead of another
;; server. Add `sh-mode' etc. to `driftls-eglot-modes' (before loading this file) to check
;; deploy scripts too, at the cost of bash-language-server in those buffers.
;;
;; Settings (the `driftls' section) go in `eglot-workspace-configuration', for example in
;; the project's .dir-locals.el:
;;
;;   ((nil . ((eglot-workspace-configuration
;;             . (:driftls (:offline :json-false
;;                          :rules (:image-unpinned "off")))))))

;;; Code:

(require 'eglot)

(defvar driftls-eglot-command '("driftls" "lsp")
  "The driftls server command line (an absolute path works too).")

(defvar driftls-eglot-modes
  '((dockerfile-mode :language-id "dockerfile")
    (dockerfile-ts-mode :language-id "dockerfile")
    (docker-compose-mode :language-id "dockercompose"))
  "Major modes (with the languageId Eglot sends) that driftls serves.
The server decides a document's kind from its file name first, so the
languageId matters only for files with unusual names.")

(defun driftls-eglot--contact (&optional _interactive)
  "The server command; read when a server starts, so later changes apply."
  driftls-eglot-command)

(add-to-list 'eglot-server-programs
             (cons driftls-eglot-modes #'driftls-eglot--contact))

(provide 'driftls-eglot)
;;; driftls-eglot.el ends here
