/*
 * The engine: caches shared by renders. Its lock guards only the cache
 * structures; cached objects are immutable once published.
 */
#ifndef LEXP_ENGINE_H
#define LEXP_ENGINE_H

#include <pthread.h>

#include "libexport.h"

typedef struct lexp__tcache lexp__tcache;

struct lexp_engine {
    pthread_mutex_t lock;
    lexp__tcache *templates; /* parsed templates by name/path */
    /* Font cache of the PDF renderer (render/pdf*.c owns its layout). */
    void *pdf_fonts;
    void (*pdf_fonts_free)(void *);
    /* Prepared images of the PDF renderer (render/pdf_images.c). */
    void *pdf_images;
    void (*pdf_images_free)(void *);
    /* Prepared office templates (fill/fill_prepared.c). */
    void *office;
    void (*office_free)(void *);
};

void lexp__engine_lock(lexp_engine *e);
void lexp__engine_unlock(lexp_engine *e);

#endif
