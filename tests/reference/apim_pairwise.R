# Pairwise (double-entry) layout for the APIM fixtures (sourced by apim.R and apim_rho.R): each
# person's row with their own variables suffixed _A and the partner's suffixed _P.
pairwise <- function(ind, id, role) {
  vars <- setdiff(names(ind), c(id, role))
  a <- ind; names(a)[match(vars, names(a))] <- paste0(vars, "_A")
  p <- ind; names(p)[match(vars, names(p))] <- paste0(vars, "_P")
  names(p)[names(p) == role] <- "role_partner"
  m <- merge(a, p, by = id, all.x = TRUE)
  m <- m[is.na(m$role_partner) | m[[role]] != m$role_partner, ]
  m[order(m[[id]], m[[role]]), ]
}
