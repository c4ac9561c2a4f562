/*
 * fcgi_io.h - one FastCGI request in, one answer out: FastCGI parameters and stdin become a
 * struct reg_request; a struct reg_response becomes CGI headers and a body on FastCGI stdout.
 */
#ifndef REG_FCGI_IO_H
#define REG_FCGI_IO_H

#include <fcgiapp.h>

#include "reg.h"

/* Serves the accepted request r completely (the caller finishes it). */
void reg_fcgi_serve(struct reg_app *app, FCGX_Request *r);

#endif
