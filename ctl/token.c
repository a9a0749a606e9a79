/*
 * fupinctl new-token: a random token for a village team's TCP access and
 * the yescrypt hash that goes into the access list (token = "..."), so
 * that the daemon's configuration never holds the token itself. Works
 * offline; mkpasswd -m yescrypt gives the same kind of hash.
 */
#include <sys/random.h>

#include <crypt.h>
#include <stdio.h>
#include <string.h>

#include "fupinctl.h"

#define TOKEN_BYTES 24

int
token_main(int argc, char **argv)
{
	static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ"
				       "abcdefghijkmnopqrstuvwxyz23456789";
	unsigned char raw[TOKEN_BYTES];
	char token[TOKEN_BYTES + 1], salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data cd;
	const char *hash;

	if (argc != 1) {
		fputs("usage: fupinctl new-token\n", stderr);
		return EXIT_CANNOT_ASK;
	}
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		perror("fupinctl: getrandom");
		return EXIT_CANNOT_ASK;
	}
	/* 57 symbols; the modulo bias is below 2^-2 per symbol and the
	 * token keeps over 130 bits. */
	for (size_t i = 0; i < TOKEN_BYTES; i++)
		token[i] = alphabet[raw[i] % (sizeof(alphabet) - 1)];
	token[TOKEN_BYTES] = '\0';
	memset(&cd, 0, sizeof(cd));
	if (crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt)) == NULL ||
	    (hash = crypt_rn(token, salt, &cd, (int)sizeof(cd))) == NULL ||
	    hash[0] == '*') {
		fputs("fupinctl: this libcrypt cannot make yescrypt hashes\n",
		    stderr);
		return EXIT_CANNOT_ASK;
	}
	printf("token: %s\nhash:  %s\n", token, hash);
	printf("# in fupind.conf's access list: token = \"%s\";\n", hash);
	printf("# give the token to its holder: FUPIN_TOKEN=%s fupinctl -a "
	       "HOST:PORT status\n",
	    token);
	explicit_bzero(token, sizeof(token));
	explicit_bzero(&cd, sizeof(cd));
	return EXIT_OK;
}
