/* Campaign code lists as {form: code} maps: see codemap.h. */
#include <string.h>

#include "codemap.h"
#include "util.h"

static void
codemap_add_n(json_t *map, const char *form, size_t len, const char *code)
{
	char *key = xmalloc(len + 1);

	for (size_t i = 0; i < len; i++)
		key[i] = form[i] >= 'A' && form[i] <= 'Z' ?
		    (char)(form[i] - 'A' + 'a') : form[i];
	key[len] = '\0';
	if (len > 0 && json_object_get(map, key) == NULL)
		json_object_set_new(map, key, json_string(code));
	free(key);
}

void
codemap_add(json_t *map, const char *form, const char *code)
{
	codemap_add_n(map, form, strlen(form), code);
}

void
codemap_add_titled(json_t *map, const char *name, const char *title)
{
	const char *sep;

	codemap_add(map, name, name);
	if (title == NULL)
		return;
	codemap_add(map, title, name);
	if ((sep = strstr(title, " / ")) != NULL) {
		codemap_add_n(map, title, (size_t)(sep - title), name);
		codemap_add(map, sep + 3, name);
	}
}
